"""Audits the pinned dependency set (constraints.txt) for known vulnerabilities with pip-audit.

python -m bot.tools.audit_dependencies   (what `make audit` does)

pip-audit runs from its own virtualenv, .venv-audit (requirements-audit.txt says why). It reads
the pins as text (`--no-deps --disable-pip`), so Relay's packages need not be installed. The
result goes to results/dependency_audit/audit.json (pip-audit's own report beside it as
pip-audit.json). An audit that did not check every pinned
package is refused (exit 2) instead of being reported as clean: pip-audit itself prints "No known
vulnerabilities found" when the PyPI service answers 404 for every package.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.settings import ROOT

EXIT_OK = 0
EXIT_ADVISORIES = 1
EXIT_INCOMPLETE = 2
SERVICES = {"pypi": "PyPI's vulnerability data (its JSON API)", "osv": "the OSV database"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*(?:#.*)?$")
DEFAULT_PIP_AUDIT = ROOT / ".venv-audit" / "bin" / "pip-audit"


class AuditIncomplete(Exception):
    """The audit did not check every pinned package, so it has no result to report."""


@dataclass(frozen=True)
class Advisory:
    """One advisory against one pinned package: a row of the report."""

    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class AuditResult:
    """What pip-audit's JSON says: the packages it checked, skipped, and the advisories."""

    audited: dict[str, str]
    skipped: dict[str, str]
    advisories: list[Advisory]


def canonical(name: str) -> str:
    """A package name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_packages(path: Path) -> dict[str, str]:
    """The `name==version` lines of a requirements or constraints file, by canonical name.

    Args:
        path: the file, e.g. constraints.txt.

    Returns:
        Canonical package name to pinned version.
    """
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def parse_report(report: dict[str, Any]) -> AuditResult:
    """Reads pip-audit's `--format json` output into the rows Relay reports.

    Args:
        report: the parsed JSON (`{"dependencies": [...], "fixes": [...]}`).

    Returns:
        The audited and skipped packages and one Advisory per (package, advisory id).

    Raises:
        AuditIncomplete: the JSON is not a pip-audit report.
    """
    dependencies = report.get("dependencies") if isinstance(report, dict) else None
    if not isinstance(dependencies, list):
        raise AuditIncomplete("pip-audit's output has no list of dependencies.")
    audited: dict[str, str] = {}
    skipped: dict[str, str] = {}
    advisories: list[Advisory] = []
    for dependency in dependencies:
        name = canonical(dependency["name"])
        if "skip_reason" in dependency:
            skipped[name] = dependency["skip_reason"]
            continue
        audited[name] = dependency["version"]
        for vuln in dependency.get("vulns", []):
            description = " ".join(vuln.get("description", "").split())
            advisories.append(
                Advisory(
                    package=name,
                    version=dependency["version"],
                    id=vuln["id"],
                    aliases=tuple(sorted(vuln.get("aliases", []))),
                    fix_versions=tuple(vuln.get("fix_versions", [])),
                    description=description,
                )
            )
    return AuditResult(audited=audited, skipped=skipped, advisories=advisories)


def check_complete(result: AuditResult, pins: dict[str, str], service: str) -> None:
    """Refuses a result that did not check every pin at its pinned version.

    Args:
        result: the parsed pip-audit report.
        pins: what should have been audited (pinned_packages of the same file).
        service: the vulnerability service pip-audit asked, for the message.

    Raises:
        AuditIncomplete: some pins were skipped, missing, or audited at another version.
    """
    if pins and len(result.skipped) == len(pins):
        reason = next(iter(result.skipped.values()))
        raise AuditIncomplete(
            f"None of the {len(pins)} pinned packages could be audited: {SERVICES[service]} "
            f"could not be reached or did not answer (pip-audit: {reason!r}). "
            "This is no result, not a clean one."
        )
    problems = [f"{name}: {reason}" for name, reason in sorted(result.skipped.items())]
    for name, version in sorted(pins.items()):
        if name not in result.skipped and result.audited.get(name) != version:
            problems.append(f"{name}=={version}: not audited")
    if problems:
        listed = "; ".join(problems[:5]) + (" ..." if len(problems) > 5 else "")
        raise AuditIncomplete(
            f"{len(problems)} of {len(pins)} pinned packages were not audited ({listed})."
        )


def pip_audit_command(pip_audit: str, requirements: Path, service: str, output: Path) -> list[str]:
    """The pip-audit command line: the pins as text, no resolution, JSON out."""
    return [
        pip_audit,
        "--requirement",
        str(requirements),
        "--no-deps",
        "--disable-pip",
        "--vulnerability-service",
        service,
        "--format",
        "json",
        "--output",
        str(output),
        "--progress-spinner",
        "off",
    ]


def run_pip_audit(command: list[str], output: Path) -> dict[str, Any]:
    """Runs pip-audit and returns its JSON report.

    pip-audit exits 1 both when it found advisories (report written) and when it failed (no
    report), so the report's presence decides.

    Args:
        command: the pip-audit command line (pip_audit_command).
        output: where that command writes its report.

    Returns:
        The parsed report.

    Raises:
        AuditIncomplete: pip-audit wrote no readable report (e.g. the service is unreachable).
    """
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise AuditIncomplete(f"pip-audit could not be started: {error}") from None
    try:
        report: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
        return report
    except (OSError, ValueError):
        lines = [line for line in completed.stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else "(no output)"
        raise AuditIncomplete(
            f"pip-audit exited {completed.returncode} without a report; last line: {last}"
        ) from None


def machine() -> dict[str, Any]:
    """The machine the audit ran on (architecture, CPU count, Python)."""
    return {
        "arch": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def write_result(out_dir: Path, record: dict[str, Any]) -> Path:
    """Writes the audit record as audit.json in `out_dir` and returns its path."""
    path = out_dir / "audit.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def default_pip_audit() -> str | None:
    """pip-audit from .venv-audit (what `make audit` builds), else the one on PATH."""
    if DEFAULT_PIP_AUDIT.exists():
        return str(DEFAULT_PIP_AUDIT)
    return shutil.which("pip-audit")


def pip_audit_version(pip_audit: str) -> str:
    """pip-audit's `--version` line, or "unknown"."""
    try:
        completed = subprocess.run(
            [pip_audit, "--version"], capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return completed.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    """Runs the audit; 0 done, 1 advisories with --fail-on-advisories, 2 not done."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=Path, default=ROOT / "constraints.txt")
    parser.add_argument("--service", choices=sorted(SERVICES), default="pypi")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "dependency_audit")
    parser.add_argument("--pip-audit", help="pip-audit executable (default: .venv-audit's)")
    parser.add_argument("--fail-on-advisories", action="store_true")
    args = parser.parse_args(argv)

    pip_audit = args.pip_audit or default_pip_audit()
    if not pip_audit:
        print("pip-audit not found: `make audit` installs it into .venv-audit.", file=sys.stderr)
        return EXIT_INCOMPLETE
    pins = pinned_packages(args.requirements)
    args.out.mkdir(parents=True, exist_ok=True)
    report = args.out / "pip-audit.json"
    report.unlink(missing_ok=True)  # never read an earlier run's report
    command = pip_audit_command(pip_audit, args.requirements, args.service, report)
    record: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "pip_audit": pip_audit_version(pip_audit),
        "service": args.service,
        "requirements": str(args.requirements),
        "machine": machine(),
        "packages_pinned": len(pins),
    }
    print(
        f"Auditing {len(pins)} pins from {args.requirements} against "
        f"{SERVICES[args.service]} with {record['pip_audit']} (one query per package)...",
        flush=True,
    )
    started = time.monotonic()
    try:
        result = parse_report(run_pip_audit(command, report))
        check_complete(result, pins, args.service)
    except AuditIncomplete as error:
        record.update(status="incomplete", error=str(error), advisories=None)
        path = write_result(args.out, record)
        print(f"Audit NOT done: {error}\nRecorded in {path}.", file=sys.stderr)
        return EXIT_INCOMPLETE
    record.update(
        status="complete",
        seconds=round(time.monotonic() - started, 1),
        packages_audited=len(result.audited),
        advisories=[asdict(advisory) for advisory in result.advisories],
    )
    path = write_result(args.out, record)
    print(f"Audited {len(result.audited)} packages in {record['seconds']} s.")
    for row in result.advisories:
        fixed = ", ".join(row.fix_versions) or "no fix"
        print(f"  {row.package} {row.version}  {row.id}  (fixed in: {fixed})")
    print(f"{len(result.advisories)} advisories; written to {path}.")
    if result.advisories and args.fail_on_advisories:
        return EXIT_ADVISORIES
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
