"""`make soak`: mixed load with faults against the real stack, checked against its own data.

`python -m bot.tools.soak` runs it (bot/tools/soak/run.py); the other modules are its parts.
"""
