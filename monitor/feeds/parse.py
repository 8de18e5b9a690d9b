"""Feed parsing (being built)."""
