"""bot/tools/bench/run.py: the command line (the run itself: tests/e2e/test_bench.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.tools.bench import run
from bot.tools.bench.run import levels, parse


def test_levels_are_a_comma_separated_list() -> None:
    assert levels("1,10,50") == (1, 10, 50)
    assert levels("5") == (5,)
    assert levels("1, 2,") == (1, 2)
    for bad in ("", "0,1", "a,b", "-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            levels(bad)


def test_defaults_and_options() -> None:
    options = parse([])
    assert options.levels == (1, 10, 50, 100)
    assert options.seconds == 30.0 and options.think == 0.0
    assert options.baseline == "full" and options.scripts is None and not options.together
    quick = parse(["--levels", "1,2", "--seconds", "5", "--baseline", "quick", "--scripts", "2"])
    assert (quick.levels, quick.seconds, quick.baseline, quick.scripts) == ((1, 2), 5.0, "quick", 2)


@pytest.mark.parametrize(
    "argv", [["--seconds", "0"], ["--think", "-1"], ["--scripts", "0"], ["--levels", "x"]]
)
def test_bad_options_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse(argv)


def test_a_missing_relay_model_stops_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run.main(["--model", str(tmp_path / "none.tar.gz")]) == 2
    assert "run `make train` first" in capsys.readouterr().err


def test_load_average_reads_proc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "loadavg").write_text("0.42 0.30 0.20 1/100 123\n")
    monkeypatch.setattr(run, "LOADAVG", tmp_path / "loadavg")
    assert run.load_average() == "0.42"
    monkeypatch.setattr(run, "LOADAVG", tmp_path / "missing")
    assert run.load_average() == "n/a"
