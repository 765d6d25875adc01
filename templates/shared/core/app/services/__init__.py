"""Framework-independent services: the web layer calls these, never the other way round."""
