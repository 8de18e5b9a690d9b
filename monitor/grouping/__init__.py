"""Story grouping: articles of one event across outlets, grouped as they arrive (pure stage; docs/stories.md)."""
