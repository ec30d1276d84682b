"""The agent console inside the Rasa server: its JSON API and pages (api.py, static/,
openapi.yml) and its hand on a customer's conversation (conversations.py), over the
handoff core in bot/handoff/."""
