"""bot/tools/bench/run.py: the command line (the run itself: tests/e2e/test_bench.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.settings import ROOT
from bot.tools.bench import run
from bot.tools.bench.run import levels, parse, rotated, shown
from bot.tools.bench.stacks import BASELINE, RELAY, SCALED
from bot.tools.scaled.servers import ServerMissing


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
    assert options.stacks == (RELAY, BASELINE, SCALED)
    quick = parse(["--levels", "1,2", "--seconds", "5", "--baseline", "quick", "--scripts", "2"])
    assert (quick.levels, quick.seconds, quick.baseline, quick.scripts) == ((1, 2), 5.0, "quick", 2)


def test_the_baseline_or_the_scaled_profile_can_be_left_out() -> None:
    assert parse(["--baseline", "none"]).stacks == (RELAY, SCALED)
    assert parse(["--no-scaled"]).stacks == (RELAY, BASELINE)
    assert parse(["--baseline", "none", "--no-scaled"]).stacks == (RELAY,)
    assert parse(["--baseline", "quick"]).stacks == (RELAY, BASELINE, SCALED)


def test_the_order_rotates_per_level() -> None:
    three = (RELAY, BASELINE, SCALED)
    assert [rotated(three, index) for index in range(4)] == [
        (RELAY, BASELINE, SCALED),
        (BASELINE, SCALED, RELAY),
        (SCALED, RELAY, BASELINE),
        (RELAY, BASELINE, SCALED),
    ]
    # Two stacks alternate, as before.
    assert [rotated((RELAY, SCALED), index) for index in range(3)] == [
        (RELAY, SCALED),
        (SCALED, RELAY),
        (RELAY, SCALED),
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["--baseline", "other"],
        ["--seconds", "0"],
        ["--think", "-1"],
        ["--scripts", "0"],
        ["--levels", "x"],
    ],
)
def test_bad_options_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse(argv)


def test_a_missing_relay_model_stops_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run.main(["--model", str(tmp_path / "none.tar.gz")]) == 2
    assert "run `make train` first" in capsys.readouterr().err


def test_missing_scaled_servers_stop_the_bench_before_the_baseline_trains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "relay.tar.gz"
    model.write_bytes(b"archive")

    def missing() -> None:
        raise ServerMissing("nginx is missing (Debian: apt-get install nginx-light or nginx)")

    def no_training(options: object) -> None:
        raise AssertionError("the baseline must not train when the bench can't run")

    monkeypatch.setattr(run, "require_servers", missing)
    monkeypatch.setattr(run, "prepare_baseline", no_training)
    assert run.main(["--model", str(model), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "nginx is missing" in err and "--no-scaled" in err


def test_paths_in_the_repository_are_shown_relative(tmp_path: Path) -> None:
    assert shown(ROOT / "models" / "relay.tar.gz") == "models/relay.tar.gz"
    assert shown(tmp_path / "x.tar.gz") == str(tmp_path / "x.tar.gz")


def test_load_average_reads_proc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "loadavg").write_text("0.42 0.30 0.20 1/100 123\n")
    monkeypatch.setattr(run, "LOADAVG", tmp_path / "loadavg")
    assert run.load_average() == "0.42"
    monkeypatch.setattr(run, "LOADAVG", tmp_path / "missing")
    assert run.load_average() == "n/a"
