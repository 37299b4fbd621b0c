"""One progress line per step of `kubelab up` / `down`, so a slow step never looks like a hang.

The backends announce steps; they never format output themselves (STYLE.md: CLI code prints
objects). A step is announced when it starts, because cluster creation and image builds take
minutes and the learner should see what is being waited for.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape


class Progress:
    """Numbered step lines: `[2/7] Create the kind cluster kubelab`.

    Titles and notes are text, never markup: they quote image names, paths and tools'
    output, where `[...]` is common.
    """

    def __init__(self, total: int, *, console: Console | None = None) -> None:
        self.total = total
        self.done = 0
        self.console = console or Console(highlight=False, soft_wrap=True)

    def step(self, title: str) -> None:
        """Announce the step that starts now."""
        self.done += 1
        self.console.print(f"[bold cyan][{self.done}/{self.total}][/] {escape(title)}")

    def skip(self, title: str, why: str) -> None:
        """A step that is already done (what makes `up` idempotent and says so)."""
        self.done += 1
        self.console.print(
            f"[bold cyan][{self.done}/{self.total}][/] {escape(title)} [dim]— {escape(why)}[/]"
        )

    def note(self, text: str) -> None:
        """A line under the step, often a tool's own output: printed as written."""
        self.console.print(f"      {text}", style="dim", markup=False)

    def warn(self, text: str) -> None:
        """Something that works, but less than the learner will expect: said once the
        step is done, so a cluster that came up is not mistaken for a full one."""
        self.console.print(f"      [bold yellow]![/] {escape(text)}")
