"""Reporters: results as plain text, as a rich renderable, as JSON and as JUnit XML.

The JSON shape is a contract for CI autograding: it is described by
`checker/report.schema.json` (schemaVersion 1) and documented in docs/lab-format.md.
In JUnit each lab is a testsuite, each check a testcase (classname `lab.exercise`); an
exercise's points are shared out over its checks so that testcase points add up to the lab's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from checker._results import CheckResult, ExerciseResult, GradeReport, LabResult

SCHEMA_VERSION = 1
Result = CheckResult | ExerciseResult | LabResult | GradeReport
_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}
_STYLE = {"passed": "bold green", "failed": "bold red", "error": "bold yellow"}


# -- plain text ------------------------------------------------------------------------------


MAX_EXERCISE_LINES = 25  # a failing exercise's share of a terminal, unless verbose
_COMPACT_ERRORS = 3
_COMPACT_EVIDENCE_LINES = 6
_COMPACT_EVIDENCE_PIECES = 3  # per exercise


def _check_lines(
    check: CheckResult,
    indent: str = "",
    *,
    verbose: bool = True,
    shown: set[tuple[str, str]] | None = None,
    seen: dict[tuple[str, tuple[str, ...]], str] | None = None,
) -> list[str]:
    """One check: its verdict line, and when it failed what was found and the evidence.

    `shown` (evidence already printed in this exercise) and `seen` (findings already printed,
    by target and errors) make an exercise say each thing once; compact output (not
    `verbose`) also drops the diff and clips long lists."""
    guard = "guard " if check.guard else ""
    lines = [f"{indent}[{_MARK[check.status]}] {guard}{check.name}: {check.message}"]
    if check.passed:
        return lines
    pad = indent + "    "
    finding = (check.target, check.field_errors)
    if seen is not None and finding in seen and check.field_errors:
        lines.append(f"{pad}{check.target}: as for {seen[finding]} above")
        return lines
    if seen is not None:
        seen[finding] = check.name
    lines.append(f"{pad}{check.target}")
    if check.detail:
        lines.append(f"{pad}{check.detail}")
    errors = list(check.field_errors)
    if not verbose and len(errors) > _COMPACT_ERRORS:
        more = len(errors) - _COMPACT_ERRORS
        errors = [*errors[:_COMPACT_ERRORS], f"... and {more} more"]
    lines += [f"{pad}* {err}" for err in errors]
    if check.diff and verbose:
        lines += [f"{pad}{line}" for line in check.diff.splitlines()]
    pieces = list(check.evidence)
    if not verbose:  # a log line usually says why; the events of every pod rarely add to it
        pieces.sort(key=lambda piece: piece.kind != "logs")
    for piece in pieces:
        key = (piece.title, piece.command)
        if shown is not None:
            if key in shown:
                continue
            if not verbose and len(shown) >= _COMPACT_EVIDENCE_PIECES:
                break
            shown.add(key)
        lines.append(f"{pad}{piece.title}  ($ {piece.command})")
        body = list(piece.lines)
        if not verbose and len(body) > _COMPACT_EVIDENCE_LINES:
            body = body[:_COMPACT_EVIDENCE_LINES] + ["..."]
        lines += [f"{pad}  {line}" for line in body]
    return lines


def _exercise_lines(ex: ExerciseResult, indent: str = "", *, verbose: bool = True) -> list[str]:
    head = f"{indent}Exercise {ex.exercise_id}: {ex.title}  [{ex.points}/{ex.max_points} points]"
    lines = [head]
    shown: set[tuple[str, str]] = set()
    seen: dict[tuple[str, tuple[str, ...]], str] = {}
    for check in ex.checks:
        lines += _check_lines(check, indent + "  ", verbose=verbose, shown=shown, seen=seen)
    if not verbose and len(lines) > MAX_EXERCISE_LINES:
        cut = len(lines) - (MAX_EXERCISE_LINES - 1)
        lines = lines[: MAX_EXERCISE_LINES - 1] + [
            f"{indent}  ... {cut} more lines (the JSON report, `--format json`, has every detail)"
        ]
    return lines


def _lab_lines(lab: LabResult, *, verbose: bool = True) -> list[str]:
    passed = sum(e.passed for e in lab.exercises)
    lines = [
        f"Lab {lab.lab_id}: {lab.title}  [{lab.points}/{lab.max_points} points, "
        f"{passed}/{len(lab.exercises)} exercises passed]"
    ]
    for ex in lab.exercises:
        lines += _exercise_lines(ex, "  ", verbose=verbose)
    return lines


def plain_text(result: Result, *, verbose: bool = True) -> str:
    """The result as plain text, for terminals, logs and notebooks without widgets.

    Verbose (the default) has every finding, diff and piece of evidence; compact output says
    each thing once per exercise and keeps a failing exercise to about 25 lines."""
    if isinstance(result, CheckResult):
        lines = _check_lines(result, verbose=verbose)
    elif isinstance(result, ExerciseResult):
        lines = _exercise_lines(result, verbose=verbose)
    elif isinstance(result, LabResult):
        lines = _lab_lines(result, verbose=verbose)
    else:
        lines = []
        for lab in result.labs:
            lines += _lab_lines(lab, verbose=verbose)
        verdict = "all checks passed" if result.passed else "some checks failed"
        lines.append(f"Total: {result.points}/{result.max_points} points ({verdict})")
    return "\n".join(lines)


# -- rich ------------------------------------------------------------------------------------


class TextReport:
    """A result that renders itself: in colour through rich, as plain text through str()."""

    def __init__(self, result: Result, *, verbose: bool = False) -> None:
        self.result = result
        self.verbose = verbose

    def __str__(self) -> str:
        return plain_text(self.result, verbose=self.verbose)

    def __rich__(self) -> RenderableType:
        out: list[RenderableType] = []
        for line in str(self).splitlines():
            text = Text(line)
            for status, mark in _MARK.items():
                text.highlight_words([f"[{mark}]"], style=_STYLE[status])
            stripped = line.lstrip()
            if stripped.startswith("* "):
                text.stylize("red")
            elif stripped.startswith("+") and not stripped.startswith("+++"):
                text.stylize("green")
            elif stripped.startswith("-") and not stripped.startswith("---"):
                text.stylize("red")
            elif stripped.startswith(("Lab ", "Exercise ", "Total:")):
                text.stylize("bold")
            out.append(text)
        return Group(*out)


def render_text(result: Result, *, verbose: bool = False) -> TextReport:
    """A renderable for `rich.print` (compact unless `verbose`); `str()` is the plain text."""
    return TextReport(result, verbose=verbose)


# -- JSON ------------------------------------------------------------------------------------


def _check_json(check: CheckResult) -> dict[str, Any]:
    return {
        "name": check.name,
        "kind": check.kind,
        "status": check.status,
        "passed": check.passed,
        "message": check.message,
        "target": check.target,
        "fieldErrors": list(check.field_errors),
        "detail": check.detail,
        "diff": check.diff,
        "evidence": [
            {"kind": e.kind, "title": e.title, "command": e.command, "lines": list(e.lines)}
            for e in check.evidence
        ],
        "attempts": check.attempts,
        "seconds": check.seconds,
        "guard": check.guard,
    }


def _exercise_json(ex: ExerciseResult) -> dict[str, Any]:
    return {
        "id": ex.exercise_id,
        "title": ex.title,
        "passed": ex.passed,
        "points": ex.points,
        "maxPoints": ex.max_points,
        "checks": [_check_json(c) for c in ex.checks],
    }


def _lab_json(lab: LabResult) -> dict[str, Any]:
    return {
        "id": lab.lab_id,
        "title": lab.title,
        "passed": lab.passed,
        "points": lab.points,
        "maxPoints": lab.max_points,
        "exercises": [_exercise_json(e) for e in lab.exercises],
    }


def to_json(report: GradeReport) -> dict[str, Any]:
    """The report as a JSON-ready dict following checker/report.schema.json."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "generatedAt": report.generated_at,
        "server": report.server,
        "seconds": report.seconds,
        "passed": report.passed,
        "points": report.points,
        "maxPoints": report.max_points,
        "labs": [_lab_json(lab) for lab in report.labs],
    }


# -- JUnit -----------------------------------------------------------------------------------


def point_shares(points: int, checks: int) -> list[int]:
    """An exercise's points spread over its checks, remainder to the first: 10/3 -> 4,3,3."""
    if checks <= 0:
        return []
    base, extra = divmod(points, checks)
    return [base + (1 if i < extra else 0) for i in range(checks)]


def exercise_shares(ex: ExerciseResult) -> list[int]:
    """Point shares of an exercise's checks in order; guards are worth 0."""
    shares = iter(point_shares(ex.max_points, sum(not c.guard for c in ex.checks)))
    return [0 if c.guard else next(shares) for c in ex.checks]


def _failure_text(check: CheckResult) -> str:
    return "\n".join(_check_lines(check)[1:]).strip() or check.message


def to_junit(report: GradeReport) -> str:
    """JUnit XML: testsuites > testsuite per lab > testcase per check, points as properties."""
    root = ET.Element("testsuites", name="kubelab")
    total = failures = errors = 0
    for lab in report.labs:
        checks = [c for e in lab.exercises for c in e.checks]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=lab.lab_id,
            tests=str(len(checks)),
            failures=str(sum(c.status == "failed" for c in checks)),
            errors=str(sum(c.status == "error" for c in checks)),
            skipped="0",
            time=f"{max((c.seconds for c in checks), default=0.0):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="title", value=lab.title)
        ET.SubElement(props, "property", name="points", value=str(lab.points))
        ET.SubElement(props, "property", name="maxPoints", value=str(lab.max_points))
        for ex in lab.exercises:
            shares = exercise_shares(ex)
            for check, share in zip(ex.checks, shares, strict=True):
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{lab.lab_id}.{ex.exercise_id}",
                    name=check.name,
                    time=f"{check.seconds:.3f}",
                )
                cprops = ET.SubElement(case, "properties")
                earned = share if ex.passed else 0
                ET.SubElement(cprops, "property", name="points", value=str(earned))
                ET.SubElement(cprops, "property", name="maxPoints", value=str(share))
                if check.status != "passed":
                    tag = "failure" if check.status == "failed" else "error"
                    node = ET.SubElement(case, tag, message=check.message, type=check.status)
                    node.text = _failure_text(check)
        total += len(checks)
        failures += int(suite.get("failures", "0"))
        errors += int(suite.get("errors", "0"))
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("time", f"{report.seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
