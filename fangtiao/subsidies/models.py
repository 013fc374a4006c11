"""Models of the app (filled in by this issue)."""
