"""Built-in heads (filled in by the engine)."""
