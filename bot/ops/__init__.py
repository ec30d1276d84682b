"""Running Relay: logs, health and readiness, and how the servers survive failures."""
