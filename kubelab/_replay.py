"""The replay of a student's committed work, and the grade as GitHub Classroom's points.

`replay` resets each lab as the notebook's first cell does (`kubelab reset LAB --yes`), then
runs that lab's `work/<lab>/commands.txt` in `work/<lab>/` (format: `_assignment`), without a
shell, on the lab's own kubeconfig only. `kubelab solve` is refused (it applies the reference
solution), and so are commands that never end on their own (`-w`, `--follow`,
`port-forward`, ...), wait for a keyboard (`exec -it`), or name another cluster
(`--kubeconfig`, `--context`, ...). Every line is read before any runs.
"""

from __future__ import annotations

import base64
import json
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubelab import _procs
from kubelab._assignment import COMMANDS, MANIFEST
from kubelab._backend_base import LabPaths, kubectl
from kubelab._errors import KubelabError, UsageError

KUBELAB_VERBS = ("break", "reset", "check")
ENDLESS = ("-w", "--watch", "--watch-only", "--follow", "--follow=true")
INTERACTIVE = ("port-forward", "proxy", "edit", "attach")
SHELL = ("|", "||", "&&", ";", ">", ">>", "<", "&")
# flags that would point kubectl at another cluster than the lab's (DESIGN: one kubeconfig)
OTHER_CLUSTER = ("--kubeconfig", "--context", "--cluster", "--server", "-s", "--user", "--token")
KEYBOARD = ("-i", "-t", "-it", "-ti", "--stdin", "--tty")
COMMAND_TIMEOUT = 600


class ReplayError(UsageError):
    """A line of a student's commands.txt that the replay will not run; names file and line."""


# --- pure -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    line: int
    text: str


def parse_commands(text: str, *, origin: str) -> list[Command]:
    """The commands of one commands.txt; a line the replay will not run is a ReplayError."""
    commands: list[Command] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("!"):
            line = line[1:].strip()
        if not line or line.startswith("#"):
            continue
        where = f"{origin}:{number} (`{line}`)"
        try:
            argv = shlex.split(line, comments=True)
        except ValueError as exc:
            raise ReplayError(f"{where} cannot be read: {exc}. Fix the quoting.") from exc
        if not argv:
            continue
        problem = _refusal(argv)
        if problem:
            raise ReplayError(
                f"{where}: {problem} Fix or remove the line in {origin}, commit and push again."
            )
        commands.append(Command(tuple(argv), number, line))
    return commands


def _refusal(argv: Sequence[str]) -> str | None:
    program = argv[0]
    if any(word in SHELL or word.startswith(("$(", "`")) for word in argv):
        return "the replay runs no shell, so pipes, `&&`, `;` and redirections do not work."
    if program == "kubelab":
        verb = argv[1] if len(argv) > 1 else ""
        if verb == "solve":
            return "`kubelab solve` applies the reference solution; it is not your work."
        if verb not in KUBELAB_VERBS:
            return f"of kubelab, the replay runs only {', '.join(KUBELAB_VERBS)}."
        return None
    if program != "kubectl":
        return "only `kubectl` and `kubelab` commands are replayed."
    if any(word.split("=", 1)[0] in OTHER_CLUSTER for word in argv[1:]):
        return "the replay acts on the lab's own cluster only: leave out --kubeconfig, --context, --server and the like."
    if any(word in INTERACTIVE for word in argv[1:2]):
        return f"`kubectl {argv[1]}` waits for you and never ends by itself."
    if argv[1:2] and argv[1] in ("exec", "run", "debug") and any(w in KEYBOARD for w in argv):
        return "`-i`/`-t` wait for your keyboard, which the replay does not have; drop them."
    if any(word in ENDLESS for word in argv) or (
        len(argv) > 1 and argv[1] == "logs" and "-f" in argv
    ):
        return "a watch or follow never ends by itself; leave it out of commands.txt."
    return None


def classroom_points(report: dict[str, Any]) -> dict[str, Any]:
    """A `kubelab grade --json` report as the result GitHub Classroom's reporter reads
    (classroom-resources/autograding-grading-reporter: version, status, max_score, tests)."""
    tests = []
    for lab in report.get("labs") or []:
        for exercise in lab.get("exercises") or []:
            failed = [c for c in exercise.get("checks") or [] if not c.get("passed")]
            tests.append(
                {
                    "name": f"{lab['id']} / {exercise['id']}: {exercise.get('title', '')}",
                    "status": "pass" if exercise.get("passed") else "fail",
                    "score": int(exercise.get("points") or 0),
                    "message": " ".join(c.get("message", "") for c in failed)
                    or "All checks passed.",
                    "line_no": 0,
                    "execution_time": f"{float(report.get('seconds') or 0):.1f}s",
                }
            )
    return {
        "version": 1,
        "status": "pass" if report.get("passed") else "fail",
        "max_score": int(report.get("maxPoints") or 0),
        "tests": tests,
    }


def encoded(points: dict[str, Any]) -> str:
    """The base64 the reporter decodes from `<RUNNER>_RESULTS`."""
    return base64.b64encode(json.dumps(points).encode()).decode()


# --- the edge -------------------------------------------------------------------------


def assignment_labs(root: Path) -> list[str]:
    """The labs of the assignment at `root`, in order, from its kubelab-assignment.yaml."""
    path = root / MANIFEST
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise UsageError(
            f"{path} does not exist, so {root} is not an assignment built by `kubelab "
            "assignment build`. Run `kubelab assignment replay` from the assignment's top "
            "folder, or pass that folder: `kubelab assignment replay DIR`."
        ) from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{path} is not valid YAML ({exc}); rebuild the assignment.") from exc
    labs = data.get("labs") if isinstance(data, dict) else None
    if not isinstance(labs, list) or not all(isinstance(x, str) for x in labs):
        raise UsageError(f"{path} has no `labs:` list of lab ids; rebuild the assignment.")
    return labs


@dataclass(frozen=True)
class Ran:
    lab: str
    text: str
    code: int
    said: str


def replay(root: Path, paths: LabPaths, *, say: Any = print) -> list[Ran]:
    """Reset each lab, then run its commands.txt in work/<lab>/; every line is read (and a
    bad one refused) before anything runs, so a typo never leaves a half-replayed cluster."""
    labs = assignment_labs(root)
    plan: list[tuple[str, Path, list[Command]]] = []
    for lab_id in labs:
        folder = root / "work" / lab_id
        file = folder / COMMANDS
        text = file.read_text() if file.is_file() else ""
        plan.append((lab_id, folder, parse_commands(text, origin=f"work/{lab_id}/{COMMANDS}")))
    env = _procs.lab_env(
        paths.kubeconfig, KUBELAB_HOME=str(paths.home), KUBELAB_LABS=str(root / "labs")
    )
    kubelab = [sys.executable, "-m", "kubelab"]
    ran: list[Ran] = []
    for lab_id, folder, commands in plan:
        folder.mkdir(parents=True, exist_ok=True)
        steps = [Command(("kubelab", "reset", lab_id, "--yes"), 0, f"kubelab reset {lab_id} --yes")]
        say(f"== {lab_id}: {len(commands)} command(s) from work/{lab_id}/{COMMANDS}")
        for command in [*steps, *commands]:
            if command.argv[0] == "kubectl":
                argv = kubectl(paths, *command.argv[1:])
            else:
                argv = [*kubelab, *command.argv[1:]]
            say(f"$ {command.text}")
            result = _procs.run(argv, env=env, cwd=folder, timeout=COMMAND_TIMEOUT)
            said = (result.stdout + result.stderr).strip()
            if said:
                say("\n".join(said.splitlines()[-20:]))
            if not result.ok:
                say(f"(exit {result.returncode}; the replay goes on, as your session did)")
            ran.append(Ran(lab_id, command.text, result.returncode, said))
            if command.line == 0 and not result.ok:
                raise KubelabError(
                    f"`{command.text}` failed, so lab {lab_id} could not be put back at its "
                    f"start and your work was not replayed: {said.splitlines()[-1:] or ''}. "
                    "Check that the lab cluster is up (`kubelab status`)."
                )
    return ran
