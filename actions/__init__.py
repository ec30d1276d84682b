"""Relay's custom actions, one module per topic; the rasa-sdk executor loads them all."""
