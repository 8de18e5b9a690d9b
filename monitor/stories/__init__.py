"""Stories: articles of one event across outlets, grouped as they arrive (pure stage; see docs/stories.md)."""
