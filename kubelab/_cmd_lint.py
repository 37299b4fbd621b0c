"""`kubelab lint [LAB]`: check labs offline before anyone runs them (see `_lint`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console

from kubelab import _simprocess
from kubelab._app import app
from kubelab._cmd_grading import LabsDirOpt, labs_dir
from kubelab._errors import UsageError
from kubelab._lint import lint_labs


def simulator_images(images: Sequence[str]) -> dict[str, str | None]:
    """Ask the simulator's own catalog which images it can run (`python -m kubesim images`)."""
    argv = [*_simprocess.kubesim_argv(), "images", *images]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        return {
            image: f"`python -m kubesim images` failed: {done.stderr.strip()[-300:]}"
            for image in images
        }
    answers: dict[str, str | None] = json.loads(done.stdout)
    return answers


@app.command()
def lint(
    lab: Annotated[
        str | None, typer.Argument(help="one lab id (NN-slug); default: every lab")
    ] = None,
    labs_dir_opt: LabsDirOpt = None,
) -> None:
    """Check labs offline: the lab format, paths, manifests valid for Kubernetes 1.37,
    hints and solutions, a notebook source, images the simulator runs."""
    root = labs_dir(labs_dir_opt)
    if lab is not None and not (root / lab / "lab.yaml").is_file():
        known = ", ".join(sorted(p.name for p in root.iterdir() if (p / "lab.yaml").is_file()))
        raise UsageError(f"There is no lab {lab!r} in {root}. The labs there: {known or 'none'}.")
    problems = lint_labs(root, images=simulator_images, only=lab)
    console = Console(soft_wrap=True, highlight=False)
    for problem in problems:
        console.print(str(problem), markup=False)
    count = len({p.file.parent for p in problems})
    if problems:
        console.print(f"{len(problems)} problem(s) in {count} lab(s)", markup=False)
        raise typer.Exit(1)
    console.print("every lab is fit to run", markup=False)
    sys.stdout.flush()
