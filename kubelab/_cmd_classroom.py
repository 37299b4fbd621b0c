"""Classroom commands: `kubelab assignment build|replay|points`, `kubelab bundle`,
`kubelab class-report`. The work is done in `_assignment`, `_replay`, `_bundle` and
`_classreport`; this module reads the options, prints, and turns bad input into one paragraph.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kubelab import _assignment, _bundle, _classreport, _replay
from kubelab._app import app
from kubelab._backend_base import REPO_ROOT, lab_paths
from kubelab._cmd_grading import labs_dir, load_labs, pick_lab
from kubelab._errors import UsageError
from kubelab._kubeconfig import require_lab_kubeconfig
from kubelab._progress import Progress

assignment_app = typer.Typer(
    help="Assignments for GitHub Classroom: build a learner edition, replay a student's "
    "work, turn a grade into Classroom points.",
    no_args_is_help=True,
)
app.add_typer(assignment_app, name="assignment")


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def split_ids(values: list[str] | None) -> list[str]:
    """`--labs 01,02 --labs 03` -> ["01", "02", "03"]."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


@assignment_app.command("build")
def assignment_build(
    out: Annotated[Path, typer.Argument(help="The folder to write (new or empty).")],
    labs: Annotated[
        list[str] | None,
        typer.Option(
            "--labs", help="Lab ids (or prefixes like 01), comma-separated; all by default."
        ),
    ] = None,
    backend: Annotated[
        str, typer.Option("--backend", help="What the grading workflow runs on: kind or sim.")
    ] = "kind",
    labs_dir_opt: Annotated[
        Path | None, typer.Option("--labs-dir", help="Folder of NN-slug labs (or $KUBELAB_LABS).")
    ] = None,
) -> None:
    """Write a learner edition: no solutions, a README for students, a grading workflow."""
    root = labs_dir(labs_dir_opt)
    known = load_labs(root)
    wanted = split_ids(labs)
    chosen = [pick_lab(known, lab_id).id for lab_id in wanted] if wanted else list(known)
    built = _assignment.build(
        out.resolve(),
        repo=REPO_ROOT,
        labs_root=root,
        lab_ids=list(dict.fromkeys(chosen)),
        backend=backend.strip().lower(),
    )
    console = _console()
    console.print(f"[green]Wrote the learner edition[/] to {built.out}")
    console.print(f"  labs: {', '.join(built.labs)}")
    console.print(f"  notebooks (solution cells removed): {', '.join(built.notebooks) or 'none'}")
    console.print(f"  left out (reference solutions): {len(built.dropped)} file(s)")
    console.print(f"  grading workflow: .github/workflows/classroom.yml (on {backend})")
    console.print(
        "Next: push it as the template repository of a GitHub Classroom assignment "
        "(docs/instructors.md, 'Assignments')."
    )


@assignment_app.command("replay")
def assignment_replay(
    root: Annotated[
        Path, typer.Argument(help="The assignment's top folder (holds kubelab-assignment.yaml).")
    ] = Path("."),
) -> None:
    """Reset each lab and run the student's work/<lab>/commands.txt on the lab cluster."""
    require_lab_kubeconfig()
    ran = _replay.replay(root.resolve(), lab_paths(), say=typer.echo)
    failed = [r for r in ran if r.code]
    typer.echo(
        f"Replayed {len(ran)} command(s); {len(failed)} exited non-zero. Next: `kubelab grade`."
    )


@assignment_app.command("points")
def assignment_points(
    report: Annotated[Path, typer.Argument(help="A `kubelab grade --json` report.")],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the points (Classroom's JSON).")
    ] = Path("autograding.json"),
) -> None:
    """Write the points as GitHub Classroom's reporter reads them (and to $GITHUB_OUTPUT)."""
    try:
        data = json.loads(report.read_text())
    except OSError as exc:
        raise UsageError(
            f"Cannot read the grade report {report}: {exc.strerror}. Run `kubelab grade "
            f"--json {report}` first."
        ) from exc
    except ValueError as exc:
        raise UsageError(
            f"{report} is not JSON ({exc}); pass the file `kubelab grade --json` wrote."
        ) from exc
    if not isinstance(data, dict) or "labs" not in data:
        raise UsageError(f"{report} is not a `kubelab grade --json` report (no `labs`).")
    points = _replay.classroom_points(data)
    out.write_text(json.dumps(points, indent=2) + "\n")
    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as handle:
            handle.write(f"result={_replay.encoded(points)}\n")
    score = sum(t["score"] for t in points["tests"])
    typer.echo(f"Points: {score}/{points['max_score']} -> {out}")


# --- workshops ------------------------------------------------------------------------


@app.command()
def bundle(
    out: Annotated[Path, typer.Argument(help="The folder to write the bundle to.")],
    no_wheels: Annotated[
        bool, typer.Option("--no-wheels", help="Leave out the Python packages.")
    ] = False,
) -> None:
    """Save what a room without internet needs: images and Python packages."""
    paths = lab_paths()
    out = out.resolve()
    if (out / _bundle.BUNDLE_FILE).exists():
        raise UsageError(
            f"{out} already holds a bundle ({_bundle.BUNDLE_FILE}); pick a new folder, or "
            "delete that one to make it again."
        )
    console = _console()
    steps = len(_bundle.bundle_images(paths)) + 1
    data = _bundle.make(paths, out, wheels=not no_wheels, progress=Progress(steps, console=console))
    console.print(f"[green]The workshop bundle is ready[/] in {out} ({data['platform']}).")
    console.print(
        "In the room: copy the folder and the course, then\n"
        f"  python3 -m venv .venv && .venv/bin/pip install --no-index --find-links {out}/wheels -e .\n"
        f"  .venv/bin/kubelab up --from-bundle {out}"
    )


@app.command("class-report")
def class_report(
    reports: Annotated[
        list[Path],
        typer.Argument(help="`kubelab grade --json` files, one per learner, or folders of them."),
    ],
    csv_path: Annotated[
        Path, typer.Option("--csv", help="Where to write the table as CSV.")
    ] = Path("class-report.csv"),
) -> None:
    """One table of many learners' grades (printed, and written as CSV)."""
    files = _classreport.report_files(reports)
    if not files:
        raise UsageError(
            "No reports found in " + ", ".join(str(r) for r in reports) + ". Pass the "
            "kubelab-grade.json files (or folders holding them) the grading workflow keeps."
        )
    report = _classreport.build(files)
    _classreport.write_csv(report, csv_path)
    console = _console()
    console.print(report)
    console.print(f"CSV: {csv_path}")
