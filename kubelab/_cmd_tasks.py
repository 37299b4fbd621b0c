"""The course without a notebook: `kubelab task` prints an exercise, `kubelab hint` the next hint.

    task LAB [EXERCISE]   the lab's objectives and each exercise's task (or one exercise's)
    hint LAB EXERCISE     reveals the next hint of the exercise, one per call; earlier ones
                          are shown again above it. `--reset` hides them all again.

Both only read lab.yaml and the lab home; neither talks to the cluster. Which hints were
revealed is remembered in `<lab_home>/hints.json` ({"LAB/EXERCISE": count}), so a terminal
learner gets hints one at a time as a notebook's widget gives them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import checker
from kubelab._app import app
from kubelab._cmd_grading import (
    ExerciseArg,
    LabArg,
    LabsDirOpt,
    labs_dir,
    load_labs,
    pick_exercise,
    pick_lab,
)
from kubelab._errors import UsageError
from kubelab._kubeconfig import lab_home

HINTS_FILE = "hints.json"


# --- pure decisions -------------------------------------------------------------------


def task_text(lab: checker.Lab, exercises: list[checker.Exercise]) -> str:
    """An exercise (or a lab's) as the notebook shows it, for a terminal."""
    lines = [f"Lab {lab.id}: {lab.title}  ({lab.minutes} min, namespace {lab.namespace})"]
    if len(exercises) > 1 and lab.objectives:
        lines += ["", "You will:"] + [f"  * {o}" for o in lab.objectives]
    for ex in exercises:
        lines += ["", f"Exercise {ex.id}: {ex.title}  [{ex.points} points]", ""]
        lines += [f"  {line}".rstrip() for line in ex.task.strip().splitlines()]
        hints = f"{len(ex.hints)} hint{'s' if len(ex.hints) != 1 else ''}"
        lines += [
            "",
            f"  Check your work: kubelab check {lab.id} {ex.id}"
            + (f"   Stuck? kubelab hint {lab.id} {ex.id} ({hints})" if ex.hints else ""),
        ]
    return "\n".join(lines)


def next_hint_count(revealed: int, available: int) -> int:
    return min(revealed + 1, available)


def hint_text(lab: checker.Lab, exercise: checker.Exercise, count: int) -> str:
    total = len(exercise.hints)
    lines = [f"Hints for {lab.id} / {exercise.id} ({count} of {total}):"]
    for number, hint in enumerate(exercise.hints[:count], 1):
        body = " ".join(hint.split())
        lines.append(f"  {number}. {body}")
    if count >= total:
        lines.append("  That was the last hint.")
    else:
        lines.append(f"  Another: kubelab hint {lab.id} {exercise.id}")
    return "\n".join(lines)


# --- remembered hints -----------------------------------------------------------------


def _hints_path() -> Path:
    return lab_home() / HINTS_FILE


def _load_revealed(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int) and v >= 0}


def _save_revealed(path: Path, revealed: dict[str, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(revealed, indent=1, sort_keys=True) + "\n")


# --- commands -------------------------------------------------------------------------


@app.command()
def task(lab: LabArg, exercise: ExerciseArg = None, labs_dir_opt: LabsDirOpt = None) -> None:
    """Print a lab's exercises (or one exercise) to work on in a terminal."""
    the_lab = pick_lab(load_labs(labs_dir(labs_dir_opt)), lab)
    chosen = [pick_exercise(the_lab, exercise)] if exercise else list(the_lab.exercises)
    typer.echo(task_text(the_lab, chosen))


@app.command()
def hint(
    lab: LabArg,
    exercise: Annotated[str, typer.Argument(help="The exercise id, e.g. deploy.")],
    reset: Annotated[
        bool, typer.Option("--reset", help="Hide this exercise's hints again.")
    ] = False,
    labs_dir_opt: LabsDirOpt = None,
) -> None:
    """Reveal the next hint of an exercise (the earlier ones are shown again)."""
    the_lab = pick_lab(load_labs(labs_dir(labs_dir_opt)), lab)
    the_exercise = pick_exercise(the_lab, exercise)
    if not the_exercise.hints:
        raise UsageError(
            f"Exercise {the_lab.id} / {the_exercise.id} has no hints. Its task: "
            f"kubelab task {the_lab.id} {the_exercise.id}"
        )
    path = _hints_path()
    revealed = _load_revealed(path)
    key = f"{the_lab.id}/{the_exercise.id}"
    if reset:
        revealed.pop(key, None)
        _save_revealed(path, revealed)
        typer.echo(f"The hints of {key} are hidden again.")
        return
    count = next_hint_count(revealed.get(key, 0), len(the_exercise.hints))
    revealed[key] = count
    _save_revealed(path, revealed)
    typer.echo(hint_text(the_lab, the_exercise, count))
