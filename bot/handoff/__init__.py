"""Human handoff: tickets, the agent console and its API, and handing back to the bot."""
