"""Built-in backbones (filled in by the engine)."""
