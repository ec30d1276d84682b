"""Command-line tools for running, training and evaluating Relay."""
