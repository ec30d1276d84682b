"""The dependency audit's parsing and refusals, fed pip-audit output instead of the network.

pip_audit/pypi_unreachable.json and pip_audit/osv_unreachable.stderr were recorded from
pip-audit 2.10.1 on a machine that reaches neither service (PyPI's per-version JSON answers
404; OSV's host does not resolve), trimmed to three packages. pip_audit/advisories.json is
written by hand in pip-audit 2.10.1's JSON format, since no run here could return advisories.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.tools import audit_dependencies as audit

RECORDED = Path(__file__).parent / "pip_audit"
PINS = "aiohttp==3.9.5\nsanic==21.12.2\nskops==0.9.0  # Rasa 3.6 pins it\n"


@pytest.fixture
def pins_file(tmp_path: Path) -> Path:
    path = tmp_path / "constraints.txt"
    path.write_text("# pinned\n" + PINS + "\n", encoding="utf-8")
    return path


def fake_pip_audit(tmp_path: Path, report: str | None, stderr: str = "", code: int = 0) -> str:
    """An executable that behaves like pip-audit: writes `report` to --output, or no report."""
    script = tmp_path / "pip-audit"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "if '--version' in sys.argv:\n"
        "    print('pip-audit 2.10.1'); sys.exit(0)\n"
        f"report = {report!r}\n"
        "if report is not None:\n"
        "    out = sys.argv[sys.argv.index('--output') + 1]\n"
        "    open(out, 'w').write(open(report).read())\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({code})\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def load(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_pins_are_read_by_canonical_name(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("# comment\nruamel.yaml==0.17.21\nSanic-Cors==2.0.1\n\n", encoding="utf-8")
    assert audit.pinned_packages(path) == {"ruamel-yaml": "0.17.21", "sanic-cors": "2.0.1"}


def test_advisories_become_one_row_each() -> None:
    result = audit.parse_report(load("advisories.json"))
    assert result.audited == {"sanic": "21.12.2", "skops": "0.9.0"}
    assert result.skipped == {}
    first, second = result.advisories
    assert first == audit.Advisory(
        package="skops",
        version="0.9.0",
        id="GHSA-m7f4-hrc6-fwg3",
        aliases=("CVE-2025-54412",),
        fix_versions=("0.12.0",),
        description="An inconsistency in OperatorFuncNode can be exploited to hide the "
        "execution of untrusted operator.xxx methods.",
    )
    assert second.id == "EXAMPLE-0001" and second.fix_versions == ()


def test_every_package_skipped_is_refused_as_unreachable(pins_file: Path) -> None:
    result = audit.parse_report(load("pypi_unreachable.json"))
    assert result.advisories == [] and len(result.skipped) == 3
    with pytest.raises(audit.AuditIncomplete, match="None of the 3 pinned packages"):
        audit.check_complete(result, audit.pinned_packages(pins_file), "pypi")


def test_a_pin_missing_from_the_report_is_refused(pins_file: Path) -> None:
    result = audit.parse_report(load("advisories.json"))  # has no aiohttp
    with pytest.raises(audit.AuditIncomplete, match=r"1 of 3 .*aiohttp==3\.9\.5: not audited"):
        audit.check_complete(result, audit.pinned_packages(pins_file), "pypi")


def test_a_report_that_is_not_pip_audits_is_refused() -> None:
    with pytest.raises(audit.AuditIncomplete):
        audit.parse_report({"vulnerabilities": []})


def test_unreachable_pypi_exits_2_and_records_no_advisories(
    tmp_path: Path, pins_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pip_audit = fake_pip_audit(tmp_path, str(RECORDED / "pypi_unreachable.json"))
    out = tmp_path / "out"
    args = ["--requirements", str(pins_file), "--out", str(out), "--pip-audit", pip_audit]
    assert audit.main(args) == audit.EXIT_INCOMPLETE
    assert "Audit NOT done" in capsys.readouterr().err
    record = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert record["status"] == "incomplete" and record["advisories"] is None
    assert record["packages_pinned"] == 3 and "No known" not in record["error"]


def test_unreachable_osv_exits_2_with_pip_audits_last_line(
    tmp_path: Path, pins_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stderr = (RECORDED / "osv_unreachable.stderr").read_text(encoding="utf-8")
    pip_audit = fake_pip_audit(tmp_path, None, stderr=stderr, code=1)
    out = tmp_path / "out"
    out.mkdir()
    (out / "pip-audit.json").write_text(json.dumps(load("advisories.json")), encoding="utf-8")
    args = ["--requirements", str(pins_file), "--out", str(out), "--pip-audit", pip_audit]
    args += ["--service", "osv"]
    assert audit.main(args) == audit.EXIT_INCOMPLETE  # the earlier run's report is not reused
    err = capsys.readouterr().err
    assert "exited 1 without a report" in err and "Failed to resolve 'api.osv.dev'" in err


def test_missing_pip_audit_exits_2(tmp_path: Path, pins_file: Path) -> None:
    args = ["--requirements", str(pins_file), "--out", str(tmp_path / "out")]
    assert audit.main([*args, "--pip-audit", str(tmp_path / "absent")]) == audit.EXIT_INCOMPLETE


def test_complete_audit_writes_rows_and_exits_by_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pins = tmp_path / "constraints.txt"
    pins.write_text("sanic==21.12.2\nskops==0.9.0\n", encoding="utf-8")
    pip_audit = fake_pip_audit(tmp_path, str(RECORDED / "advisories.json"), code=1)
    out = tmp_path / "out"
    args = ["--requirements", str(pins), "--out", str(out), "--pip-audit", pip_audit]
    assert audit.main(args) == audit.EXIT_OK
    printed = capsys.readouterr().out
    assert "skops 0.9.0  GHSA-m7f4-hrc6-fwg3  (fixed in: 0.12.0)" in printed
    record = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert record["status"] == "complete" and record["packages_audited"] == 2
    assert [row["id"] for row in record["advisories"]] == ["GHSA-m7f4-hrc6-fwg3", "EXAMPLE-0001"]
    assert record["pip_audit"] == "pip-audit 2.10.1" and record["machine"]["cpus"] >= 1
    assert audit.main([*args, "--fail-on-advisories"]) == audit.EXIT_ADVISORIES
