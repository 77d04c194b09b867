"""The hub's domain: what it records, and how it decides what to record."""
