"""The demo shop's data: database schema, seed data, queries and business facts."""
