"""Relay's dialogue policies (registered by dotted path in config.yml)."""
