"""Grading commands: `kubelab check LAB [EXERCISE]` and `kubelab grade`.

Both read the labs from the repository's `labs/` (or `--labs-dir`, or `$KUBELAB_LABS`),
reach the cluster only through the lab's own kubeconfig (`require_lab_kubeconfig()`), and
exit 0 only when every check passed, so CI can use the exit code directly. Checker errors
are translated here into kubelab's, which the CLI edge prints as one paragraph.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

import checker
from kubelab import _mystery
from kubelab._app import app
from kubelab._backend_base import lab_paths
from kubelab._backends import control_plane_down
from kubelab._errors import (
    ClusterError,
    ForeignContextError,
    KubelabError,
    LabDataError,
    UsageError,
)
from kubelab._kubeconfig import require_lab_kubeconfig
from kubelab._outage import down_message

FORMATS = ("text", "json", "junit")


def labs_dir(override: Path | None = None) -> Path:
    """Where the labs are: --labs-dir, then $KUBELAB_LABS, then `labs/` above the package."""
    if override is not None:
        return override.expanduser().resolve()
    env = os.environ.get("KUBELAB_LABS")
    if env:
        return Path(env).expanduser().resolve()
    here = Path(__file__).resolve().parent
    for folder in here.parents:
        if (folder / "labs").is_dir():
            return folder / "labs"
    raise UsageError(
        "Cannot find the course's labs/ folder above the installed kubelab package. "
        "Pass --labs-dir DIR or set KUBELAB_LABS to the folder that holds NN-slug/lab.yaml."
    )


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Checker errors become the kubelab errors the CLI edge knows how to print."""
    try:
        yield
    except checker.UnknownIdError as exc:
        raise UsageError(str(exc)) from exc
    except checker.LabDataError as exc:
        raise LabDataError(f"The lab data is broken: {exc}") from exc
    except checker.ClusterUnreachable as exc:
        raise ClusterError(_outage_or(str(exc))) from exc
    except checker.ClusterError as exc:
        raise ClusterError(str(exc)) from exc


def _outage_or(said: str) -> str:
    """An unreachable cluster whose control plane a fault stopped says so (and how to bring
    it back) instead of "run kubelab up"; any other unreachable cluster keeps `said`."""
    try:
        paths = lab_paths()
        info = require_lab_kubeconfig(paths.kubeconfig)
    except KubelabError:
        return said
    return down_message(paths, info) if control_plane_down(paths, info) else said


def load_labs(root: Path) -> dict[str, checker.Lab]:
    """Every lab under `root` (none in an empty folder: `require_labs` for grading)."""
    if not root.is_dir():
        raise UsageError(f"The labs folder {root} does not exist; pass --labs-dir DIR.")
    try:
        with translated_errors():
            labs = checker.discover_labs(root)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:  # the checker lets these through
        raise _unreadable_lab(root, exc) from exc
    except OSError as exc:
        raise UsageError(
            f"The labs folder {root} cannot be read ({exc.strerror or exc}). Check its "
            "permissions, or pass --labs-dir DIR (or set KUBELAB_LABS) to the course's labs/."
        ) from exc
    return labs


def require_labs(labs: dict[str, checker.Lab], root: Path) -> dict[str, checker.Lab]:
    """Refuse to grade no labs: it would report 0/0 and "passed", so a mis-set CI
    autograder would pass everyone (issue 21, finding 7)."""
    if not labs:
        hint = (
            f" {root} is one lab's folder (it holds lab.yaml itself): point at {root.parent}."
            if (root / "lab.yaml").is_file()
            else ""
        )
        raise UsageError(
            f"There are no labs in {root}: no NN-slug/lab.yaml folder under it, so there is "
            f"nothing to grade (and grading nothing must not count as a pass).{hint} Pass "
            "--labs-dir DIR, or set KUBELAB_LABS, to the course's labs/ folder, the one that "
            "holds 01-deploy/lab.yaml and the others."
        )
    return labs


def _unreadable_lab(root: Path, exc: Exception) -> LabDataError:
    """A lab.yaml the YAML reader rejects before parsing (a NUL byte, bad UTF-8): find it."""
    culprit = next(
        (
            path
            for path in sorted(root.glob("*/lab.yaml"))
            if not _loads(path) and not path.parent.name.startswith(("_", "."))
        ),
        root,
    )
    what = getattr(exc, "problem", None) or exc.__class__.__name__
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "?")
        what = f"character #x{char:04x} at position {exc.position} is not allowed in YAML"
    elif isinstance(exc, UnicodeDecodeError):
        what = f"byte 0x{exc.object[exc.start]:02x} at position {exc.start} is not UTF-8"
    return LabDataError(
        f"The lab data is broken: {culprit} cannot be read as YAML ({what}). A lab.yaml is "
        "UTF-8 text without control characters such as NUL; this usually comes from a bad "
        "copy or an editor's binary save. Restore the file (`git checkout -- "
        f"{culprit.name}` in its folder, or `git diff` to see what changed) and try again."
    )


def _loads(path: Path) -> bool:
    try:
        yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return False
    return True


def pick_lab(labs: dict[str, checker.Lab], lab_id: str) -> checker.Lab:
    """The lab with this id (or its unique prefix, `01` for `01-deploy`); else list the ids."""
    if lab_id in labs:
        return labs[lab_id]
    matches = [lab for key, lab in labs.items() if key.startswith(lab_id + "-")]
    if len(matches) == 1:
        return matches[0]
    valid = ", ".join(labs) or "(none: the labs folder is empty)"
    raise UsageError(f"There is no lab {lab_id!r}. The labs are: {valid}.")


def pick_exercise(lab: checker.Lab, exercise_id: str) -> checker.Exercise:
    exercise = lab.exercise(exercise_id)
    if exercise is None:
        valid = ", ".join(e.id for e in lab.exercises)
        raise UsageError(
            f"Lab {lab.id} has no exercise {exercise_id!r}. Its exercises are: {valid}."
        )
    return exercise


def open_client() -> checker.ReadOnlyClient:
    """A read-only client on the lab's own kubeconfig, after the guard approved it."""
    info = require_lab_kubeconfig()
    with translated_errors():
        client = checker.ReadOnlyClient.from_kubeconfig(info.path)
    if client.server.rstrip("/") != info.server:  # the file changed under us, or a reader differs
        client.close()
        raise ForeignContextError(
            f"Refusing to grade: the checker's client resolved {client.server} from "
            f"{info.path}, where kubelab's guard resolved {info.server}. Run `kubelab down` "
            "and `kubelab up` to write a fresh lab kubeconfig, then grade again."
        )
    return client


def announce_wait(pending: int, seconds: float) -> None:
    """Say on stderr why a failing check makes the command sit still, and how not to wait."""
    checks = "check is" if pending == 1 else "checks are"
    typer.echo(
        f"{pending} {checks} not passing yet; waiting up to {_duration(seconds)} for the "
        "cluster to catch up (each check's `within`). Ctrl-C stops; --no-wait grades the "
        "cluster as it is now.",
        err=True,
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _emit(
    report: checker.GradeReport, fmt: str, console: Console, *, verbose: bool = False
) -> None:
    if fmt == "json":
        typer.echo(json.dumps(checker.to_json(report), indent=2))
    elif fmt == "junit":
        typer.echo(checker.to_junit(report))
    else:
        for lab in report.labs:
            console.print(checker.render_text(lab, verbose=verbose))


def writable_report_path(path: Path, flag: str) -> None:
    """Refuse a report path that cannot be written, in one paragraph, before any grading."""
    folder = path.expanduser().parent
    problem = ""
    if path.is_dir():
        problem = "it is a folder"
    elif not folder.is_dir():
        problem = f"the folder {folder} does not exist"
    elif not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        problem = "you may not write there"
    if problem:
        create = f" (create it first: `mkdir -p {folder}`)" if "exist" in problem else ""
        raise UsageError(
            f"Cannot write the report {flag} {path}: {problem}. Pass {flag} with a file in a "
            f"folder that exists and you can write to{create}, then grade again."
        )


def write_report(path: Path, text: str, flag: str) -> None:
    try:
        path.expanduser().write_text(text)
    except OSError as exc:
        raise UsageError(
            f"Could not write the report {flag} {path}: {exc.strerror or exc}. Free some room "
            f"or pass {flag} with another file, then grade again."
        ) from exc


LabArg = Annotated[str, typer.Argument(help="Lab id, e.g. 01-deploy (or just 01).")]
ExerciseArg = Annotated[
    str | None, typer.Argument(help="One exercise id; every exercise when omitted.")
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="text, json or junit.")]
LabsDirOpt = Annotated[
    Path | None, typer.Option("--labs-dir", help="Folder of NN-slug labs (or $KUBELAB_LABS).")
]
NoWaitOpt = Annotated[
    bool,
    typer.Option(
        "--no-wait", help="Grade the cluster as it is now, without waiting out checks' `within`."
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Every finding, diff and piece of evidence (text format)."
    ),
]
JsonOpt = Annotated[Path, typer.Option("--json", help="Where to write the JSON report.")]
JunitOpt = Annotated[Path, typer.Option("--junit", help="Where to write the JUnit XML report.")]


@app.command()
def check(
    lab: LabArg,
    exercise: ExerciseArg = None,
    format: FormatOpt = "text",
    labs_dir_opt: LabsDirOpt = None,
    no_wait: NoWaitOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Grade one lab, or one exercise of it, against the lab cluster."""
    if format not in FORMATS:
        raise UsageError(f"Unknown format {format!r}; use one of: {', '.join(FORMATS)}.")
    the_lab = pick_lab(load_labs(labs_dir(labs_dir_opt)), lab)
    if exercise is not None:
        the_lab = the_lab.model_copy(update={"exercises": [pick_exercise(the_lab, exercise)]})
    with translated_errors(), open_client() as client:
        report = checker.grade(client, [the_lab], wait=not no_wait, on_wait=announce_wait)
    _emit(report, format, Console(highlight=False, soft_wrap=True), verbose=verbose)
    mystery = _mystery.recall(lab_paths().home, the_lab.id)
    if mystery is not None and exercise is None:  # on stderr: the JSON report stays whole
        said = _mystery.status_line(
            mystery, names=_mystery.pool(the_lab), now=_mystery.now(), passed=report.passed
        )
        typer.echo(said, err=True)
    raise typer.Exit(0 if report.passed else 1)


@app.command()
def grade(
    json_path: JsonOpt = Path("kubelab-grade.json"),
    junit_path: JunitOpt = Path("kubelab-grade.xml"),
    labs_dir_opt: LabsDirOpt = None,
    no_wait: NoWaitOpt = False,
) -> None:
    """Grade every lab; write JSON and JUnit reports for CI autograding."""
    for path, flag in ((json_path, "--json"), (junit_path, "--junit")):
        writable_report_path(path, flag)  # before minutes of grading, not after
    root = labs_dir(labs_dir_opt)
    labs = require_labs(load_labs(root), root)
    with translated_errors(), open_client() as client:
        report = checker.grade(client, labs, wait=not no_wait, on_wait=announce_wait)
    if report.max_points == 0:
        raise UsageError(
            f"The labs in {root} have no checks worth points, so grading "
            "them says nothing (0/0 must not count as a pass). Point --labs-dir or "
            "KUBELAB_LABS at the course's labs/ folder."
        )
    write_report(json_path, json.dumps(checker.to_json(report), indent=2) + "\n", "--json")
    write_report(junit_path, checker.to_junit(report) + "\n", "--junit")
    console = Console(highlight=False, soft_wrap=True)
    for lab in report.labs:
        mark = "PASS" if lab.passed else "FAIL"
        line = f"[{mark}] {lab.lab_id}: {lab.title}  {lab.points}/{lab.max_points} points"
        console.print(line, markup=False)
    console.print(
        f"Total: {report.points}/{report.max_points} points in {report.seconds:.2f}s; "
        f"reports: {json_path}, {junit_path}",
        markup=False,
    )
    raise typer.Exit(0 if report.passed else 1)
