"""Relay's NLU building blocks (spaCy pipeline, custom Rasa components)."""
