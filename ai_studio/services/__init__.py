"""AI Studio writes, one module per area: ``catalog`` (avatars, voices), ``templates``; generation adds its own."""
