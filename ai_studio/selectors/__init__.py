"""AI Studio reads, one module per area (``catalog``; generation adds its own)."""
