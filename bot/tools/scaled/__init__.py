"""`make run-scaled`: Relay on PostgreSQL and Redis, several Rasa servers behind nginx."""
