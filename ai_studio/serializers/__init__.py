"""AI Studio request/response shapes, one module per area (``catalog``; generation adds its own)."""
