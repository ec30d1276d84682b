"""Relay: a customer-support assistant built on Rasa Open Source."""
