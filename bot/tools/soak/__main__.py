"""`python -m bot.tools.soak`: see bot/tools/soak/run.py."""

from bot.tools.soak.run import main

if __name__ == "__main__":
    raise SystemExit(main())
