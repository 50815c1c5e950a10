"""Built-in adversarial (filled in by the engine)."""
