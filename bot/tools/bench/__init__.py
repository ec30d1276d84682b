"""`make bench`: Relay against a plain Rasa bot, same scripts, same machine, one run.

`python -m bot.tools.bench` runs it (bot/tools/bench/run.py); the other modules are its parts.
"""
