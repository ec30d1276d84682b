"""Loads the demo shop's customers, orders and products into the shop's database, on purpose.

    python -m bot.tools.demo_data      (what `make demo-data` runs)

The embedded SQLite database gets them by itself on first use; a server's database
(RELAY_SHOP_DB_URL, e.g. PostgreSQL) never does, so a production shop never finds
Maya Patel among its customers. This command seeds the configured database when it
has no customers yet, and leaves one that has them alone.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from bot.settings import load_settings
from bot.shop.facts import load_facts
from bot.shop.repository import init_db, make_engine


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    settings = load_settings()
    today = datetime.now(load_facts(settings.facts_file).timezone).date()
    url = make_engine(settings.shop_db_url).url.render_as_string(hide_password=True)
    if init_db(make_engine(settings.shop_db_url), today, demo=True):
        print(f"Loaded the demo shop's data into {url}")
        return 0
    print(f"{url} already has customers; left as it is")
    return 0


if __name__ == "__main__":
    sys.exit(main())
