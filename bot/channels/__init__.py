"""Rasa input/output channels for Relay's customers."""
