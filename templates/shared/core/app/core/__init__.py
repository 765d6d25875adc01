"""Configuration, catalog and database plumbing shared by every part of the app."""
