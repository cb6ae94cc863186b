"""AI Studio HTTP endpoints, one module per area (``catalog``; generation adds its own)."""
