"""`python -m bot.tools.bench`: see bot/tools/bench/run.py."""

from bot.tools.bench.run import main

if __name__ == "__main__":
    raise SystemExit(main())
