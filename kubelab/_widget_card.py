"""The result card and the other HTML of the notebook widgets: pure functions, data in, HTML out.

Status is told three ways at once, so it reads on any screen: a word (PASS, FAIL, ERROR), a
colour, and a plain-Unicode mark that every text font has (U+2713, U+2717), never an emoji
that renders as an empty box where no emoji font is installed. Messages and hints are
Markdown (lab.yaml writes `code` in backticks). Evidence is shown once per exercise and
folded: several failing checks about one Deployment share its events and logs.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from markdown_it import MarkdownIt

import checker

# Words first, mark second: the word is what a screen reader and a reader without colour get.
LABEL = {
    "passed": ("PASS", "\u2713"),
    "failed": ("FAIL", "\u2717"),
    "error": ("ERROR", "!"),
    "waiting": ("WAIT", "\u2026"),
    "checking": ("CHECK", "\u2026"),
    "stopped": ("STOPPED", "\u25a0"),
    "todo": ("TO DO", "\u2013"),
}

# One style block, repeated in every fragment so each renders alone (a widget, a saved
# output, an exported page). The widget's own line height (28 px in ipywidgets) is what
# made the old card double-spaced; the card sets its own.
STYLE = """<style>
.kl-card{font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;line-height:1.45;
 color:var(--jp-ui-font-color1,#222);border:1px solid #ccc;border-left:6px solid #888;
 border-radius:4px;padding:6px 10px;margin:4px 0;max-width:60em;white-space:normal}
.kl-card *{line-height:1.45}
.kl-card p{margin:2px 0}
.kl-card ul{margin:2px 0;padding-left:1.4em}
.kl-card pre{margin:2px 0;padding:4px 6px;background:var(--jp-layout-color2,#f4f4f4);
 font-size:12px;white-space:pre-wrap;overflow-x:auto}
.kl-card code{background:var(--jp-layout-color2,#f0f0f0);padding:0 3px;border-radius:3px}
.kl-card.kl-passed{border-left-color:#1a7f37}
.kl-card.kl-failed{border-left-color:#c62828}
.kl-card.kl-error{border-left-color:#b26a00}
.kl-badge{display:inline-block;min-width:4.6em;text-align:center;font-weight:bold;
 font-size:11px;padding:0 5px;border-radius:3px;color:#fff;background:#6e7781;
 margin-right:6px;letter-spacing:.03em}
.kl-badge.kl-passed{background:#1a7f37}.kl-badge.kl-failed{background:#c62828}
.kl-badge.kl-error{background:#b26a00}.kl-badge.kl-waiting{background:#0b61a4}
.kl-badge.kl-stopped{background:#6e7781}.kl-badge.kl-checking{background:#0b61a4}
.kl-points{font-weight:bold}.kl-points.kl-passed{color:#1a7f37}.kl-points.kl-failed{color:#c62828}
.kl-check{margin:3px 0}
.kl-check-message{display:inline}.kl-check-message p{display:inline}
.kl-why{margin:2px 0 4px 5.6em}
.kl-add{color:#1a7f37}.kl-del{color:#c62828}.kl-ctx{color:#555}
.kl-ferr{color:#c62828}
.kl-muted{color:#666}
.kl-progress table{border-collapse:collapse}
.kl-progress td{padding:1px 8px 1px 0}
.kl-countdown{font-variant-numeric:tabular-nums;font-weight:bold}
</style>"""

_MD = MarkdownIt("commonmark", {"html": False})


def markdown(text: str) -> str:
    """Markdown to HTML with raw HTML disabled (lab text is data, not markup)."""
    return _MD.render(text.strip())


def markdown_inline(text: str) -> str:
    return _MD.renderInline(text.strip())


def badge(status: str) -> str:
    word, mark = LABEL.get(status, (status.upper(), ""))
    return f'<span class="kl-badge kl-{status}">{mark} {word}</span>'


def duration(seconds: float) -> str:
    """`2:05` for a countdown; `7s` under a minute."""
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}:{secs:02d}" if minutes else f"{secs}s"


def diff_html(diff: str) -> str:
    """A unified-style diff with added lines green and removed lines red."""
    rows = []
    for line in diff.splitlines():
        cls = "kl-ctx"
        if line.startswith("+") and not line.startswith("+++"):
            cls = "kl-add"
        elif line.startswith("-") and not line.startswith("---"):
            cls = "kl-del"
        rows.append(f'<span class="{cls}">{html.escape(line)}</span>')
    return "<pre>" + "\n".join(rows) + "</pre>"


def _why_html(check: checker.CheckResult) -> str:
    """What did not match: the object, the field errors, the diff (folded)."""
    parts = [f"<div class='kl-muted'>{html.escape(check.target)}</div>"]
    if check.detail:
        parts.append(f"<div>{html.escape(check.detail)}</div>")
    if check.field_errors:
        items = "".join(
            f"<li class='kl-ferr'><code>{html.escape(e)}</code></li>" for e in check.field_errors
        )
        parts.append(f"<ul>{items}</ul>")
    if check.diff:
        parts.append(diff_html(check.diff))
    return (
        "<details class='kl-why'><summary>What the checker saw</summary>"
        + "".join(parts)
        + "</details>"
    )


def check_html(check: checker.CheckResult, *, note: str = "") -> str:
    line = (
        f"<div class='kl-check'>{badge(check.status)}<b>{html.escape(check.name)}</b>: "
        f"<span class='kl-check-message'>{markdown_inline(check.message)}</span>{note}</div>"
    )
    return line if check.passed else line + _why_html(check)


def evidence_of(checks: Iterable[checker.CheckResult]) -> list[checker.Evidence]:
    """Every piece of evidence once, in first-seen order."""
    seen: dict[tuple[str, str], checker.Evidence] = {}
    for check in checks:
        for piece in check.evidence:
            seen.setdefault((piece.title, piece.command), piece)
    return list(seen.values())


def evidence_html(pieces: Sequence[checker.Evidence]) -> str:
    if not pieces:
        return ""
    body = "".join(
        f"<p><b>{html.escape(p.title)}</b> <span class='kl-muted'>$ "
        f"<code>{html.escape(p.command)}</code></span></p>"
        f"<pre>{html.escape(chr(10).join(p.lines)) or '(nothing)'}</pre>"
        for p in pieces
    )
    return (
        f"<details class='kl-evidence'><summary>Evidence: what to look at next "
        f"({len(pieces)})</summary>{body}</details>"
    )


def card_html(
    result: checker.ExerciseResult,
    *,
    progress: str = "",
    notes: dict[str, str] | None = None,
    footer: str = "",
) -> str:
    """The whole card: verdict and points, one line per check, evidence once, progress."""
    status = "passed" if result.passed else "failed"
    if any(c.status == "error" for c in result.checks):
        status = "error"
    notes = notes or {}
    head = (
        f"<div>{badge(status)}<b>{html.escape(result.title)}</b> "
        f"<span class='kl-points kl-{status}'>{result.points}/{result.max_points} points</span>"
        "</div>"
    )
    checks = "".join(check_html(c, note=notes.get(c.name, "")) for c in result.checks)
    evidence = evidence_html(evidence_of(c for c in result.checks if not c.passed))
    return (
        f"{STYLE}<div class='kl-card kl-{status}'>{head}{checks}{evidence}{footer}{progress}</div>"
    )


def message_html(text: str, *, status: str = "error") -> str:
    """A one-paragraph problem (no cluster, broken lab data) as a card, never a traceback."""
    return (
        f"{STYLE}<div class='kl-card kl-{status}'>{badge(status)}"
        f"<span>{html.escape(text)}</span></div>"
    )


def hints_html(hints: Sequence[str], total: int) -> str:
    return "".join(
        f"<div class='kl-card'><b>Hint {i + 1}/{total}:</b> "
        f"<span class='kl-check-message'>{markdown_inline(h)}</span></div>"
        for i, h in enumerate(hints)
    )


def progress_html(lab: checker.Lab, states: dict[str, dict[str, Any]]) -> str:
    """The lab's progress as a small table: a badge, the exercise and its points."""
    rows, points, done = [], 0, 0
    for ex in lab.exercises:
        state = states.get(ex.id, {})
        passed = bool(state.get("passed"))
        status = "passed" if passed else ("failed" if "passed" in state else "todo")
        points += ex.points if passed else 0
        done += passed
        rows.append(
            f"<tr><td>{badge(status)}</td><td>{html.escape(ex.title)}</td>"
            f"<td class='kl-muted'>{ex.points if passed else 0}/{ex.points} points</td></tr>"
        )
    total = "passed" if done == len(lab.exercises) else "todo"
    return (
        f"<div class='kl-progress'><p><b>Lab {html.escape(lab.id)}</b>: "
        f"<span class='kl-points kl-{total}'>{points}/{lab.points} points</span>, "
        f"{done}/{len(lab.exercises)} exercises passed</p><table>{''.join(rows)}</table></div>"
    )
