"""Pairwise name matching (being built)."""
