"""Human handoff's core: tickets, agents, sign-in, the handoff rules and webhooks.

Rasa-free, so the Rasa server and the action server share it: tickets are typed
records (views.py), their errors say what went wrong without HTTP status codes
(tickets.py), and storage goes through SQLAlchemy. The server side lives elsewhere:
the agent console and its JSON API in bot/console/, what a channel does with a
message before Rasa sees it in bot/channels/gate.py. tests/bot/handoff/test_core.py
keeps this package free of Rasa and Sanic.
"""
