"""bot/tools/turn_profile.py: py-spy's samples sorted into parts, Relay's own first."""

from __future__ import annotations

from pathlib import Path

from bot.settings import ROOT
from bot.tools import turn_profile as tool

SENTIMENT = f"process ({ROOT}/bot/nlu/sentiment.py:120)"
SPACY = "__call__ (/work/relay/.venv/lib/python3.10/site-packages/spacy/language.py:1000)"
DIET = "process (/x/.venv/lib/python3.10/site-packages/rasa/nlu/classifiers/diet_classifier.py:9)"
SANIC = "handle_request (/x/.venv/lib/python3.10/site-packages/sanic/app.py:700)"
RAW = "\n".join(
    [
        f"_run (asyncio/events.py:80);{SANIC};{SENTIMENT};{SPACY} 30",
        f"_run (asyncio/events.py:80);{SANIC};{DIET} 50",
        f"_run (asyncio/events.py:80);{SANIC};{SENTIMENT} 7",
        f"_run (asyncio/events.py:80);{SANIC} 15",
        "select (/usr/lib/python3.10/selectors.py:469) 5",
        "_bootstrap (/x/threading.py:973);_worker (/x/concurrent/futures/thread.py:81) 40",
        "not a py-spy line",
    ]
)


def test_a_sample_goes_to_the_part_of_its_innermost_frame_that_has_one() -> None:
    profile = tool.read_raw(RAW)
    assert (profile.samples, profile.waiting) == (102, 45)  # an idle loop and worker left out
    assert profile.parts == {
        "spaCy": 30,  # called by Relay's sentiment
        "DIET": 50,
        "Relay: sentiment": 7,  # its own time
        "HTTP (Sanic, aiohttp, httptools)": 15,
    }


def test_relays_hottest_functions_are_counted_by_their_own_time() -> None:
    profile = tool.read_raw(RAW)
    assert profile.ours == {"process (bot/nlu/sentiment.py)": 7}
    assert tool.innermost_ours([SANIC, DIET]) is None


def test_the_report_gives_shares_and_relays_own_part(tmp_path: Path) -> None:
    profile = tool.read_raw(RAW)
    figures = {
        "level": 10,
        "seconds": 30.0,
        "turns": 200,
        "turns_per_second": 6.6,
        "errors": 0,
        "load_before": "0.10",
        "load_after": "1.90",
    }
    report = tool.markdown(profile, figures, "python -m bot.tools.turn_profile")
    assert "| DIET | 50 | 49.0% |" in report
    assert "Relay's own code: 6.9% of the samples." in report
    assert "| `process (bot/nlu/sentiment.py)` | 7 | 6.9% |" in report
    tool.plot(profile, tmp_path / "parts.png")
    assert (tmp_path / "parts.png").stat().st_size > 0
