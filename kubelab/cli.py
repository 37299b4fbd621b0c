"""The `kubelab` command's entry point: it registers the command modules on the one Typer
app (`kubelab._app`) and runs it.

Errors are turned into one readable paragraph here, at the edge, and nowhere else.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from kubelab._app import app
from kubelab._errors import KubelabError
from kubelab._kubeconfig import no_proxy_with_loopback

# Which module adds which top-level command. `kubelab check` then imports the grading module
# alone, not `lint`'s schema validator or `up`'s doctor (0.35 s and more of each command's
# start, paid by every command a lesson or a walk runs); tests/cli/test_lazy_commands.py
# holds this table to what the modules register.
COMMAND_MODULES: dict[str, str] = {
    "doctor": "kubelab._cmd_cluster",
    "up": "kubelab._cmd_cluster",
    "down": "kubelab._cmd_cluster",
    "status": "kubelab._cmd_cluster",
    "course": "kubelab._cmd_cluster",
    "snapshot": "kubelab._cmd_cluster",
    "check": "kubelab._cmd_grading",
    "grade": "kubelab._cmd_grading",
    "break": "kubelab._cmd_labs",
    "fix": "kubelab._cmd_labs",
    "reset": "kubelab._cmd_labs",
    "solve": "kubelab._cmd_labs",
    "lint": "kubelab._cmd_lint",
    "assignment": "kubelab._cmd_classroom",
    "bundle": "kubelab._cmd_classroom",
    "class-report": "kubelab._cmd_classroom",
    "task": "kubelab._cmd_tasks",
    "hint": "kubelab._cmd_tasks",
}


def modules_for(argv: list[str]) -> list[str]:
    """The command modules a command line needs: its command's own, or all of them when
    there is none to name (`kubelab`, `--help`, a misspelt command, whose error lists the
    commands and suggests the closest)."""
    if argv and argv[0] in COMMAND_MODULES:
        return [COMMAND_MODULES[argv[0]]]
    return list(dict.fromkeys(COMMAND_MODULES.values()))  # in the order help lists them


def _register(modules: list[str]) -> None:
    """Import the command modules a command line needs (`modules_for`), which add their
    commands to `app`.

    In a function, not at the top: it runs after `_skip_slow_optional_imports` (`kubelab lint`
    imports jsonschema, which would otherwise compile its slow optional grammar first), and
    inside `_run`, so that a command module that cannot be imported (a broken install) is
    said in one paragraph like any other error."""
    for name in modules:
        importlib.import_module(name)


def _skip_slow_optional_imports(modules: list[str]) -> None:
    """Keep `kubelab` quick to start: 3.4 s became 0.8 s on the 2-core reference machine.

    Importing the official client imports `kubernetes.dynamic`, which imports the optional
    `kubernetes_validate`, which imports `jsonschema`, whose format checkers import
    `rfc3987_syntax` if present (Jupyter's jsonschema extras install it), and that compiles
    a Lark grammar at import: 2.4 s, for the `iri` string format that nothing in kubelab
    checks. A `None` entry makes that optional import fail, so jsonschema just leaves the
    format unchecked. Only the CLI's own process does this; the library leaves a host alone.

    Unless the command is `kubelab lint`, which validates manifests with it,
    `kubernetes_validate` is left out altogether: the official client imports it only for
    `DynamicClient.validate`, which kubelab never calls, and with jsonschema it was 0.2 s
    of every `kubelab check`.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    if "kubelab._cmd_lint" not in modules:
        sys.modules.setdefault("kubernetes_validate", None)  # type: ignore[arg-type]


def _click_exception() -> type[Any]:
    """ClickException, wherever this typer keeps it: typer < 0.20 uses click itself, later
    ones vendor it as `typer._click` (without click's `Abort`: `typer.Abort` is the one
    both raise for EOF at a prompt; Ctrl-C comes out as `typer.Exit(130)`)."""
    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # older typer: the real click
        from click.exceptions import ClickException  # type: ignore[no-redef,import-not-found,assignment]
    return ClickException


def _say(text: str) -> None:
    """One paragraph on stderr; tools' own output in it ("[internal] load ...",
    "[/var/lib/docker]") prints as written, not as rich markup."""
    Console(stderr=True, soft_wrap=True).print(
        f"[bold red]error:[/] {escape(text)}", highlight=False
    )


def _output_failed(exc: OSError) -> int:
    """The output could not be written (a full disk, /dev/full, a closed pipe)."""
    # Whatever is still buffered would fail again at exit with "Exception ignored ...":
    # point stdout at /dev/null so the interpreter's last flush has somewhere to go.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    if isinstance(exc, BrokenPipeError):
        return 141  # the reader went away (`| head`): the shell's code for SIGPIPE, no text
    _say(
        f"kubelab could not write its output: {exc.strerror or exc} (errno {exc.errno}). "
        "Its standard output (or a file it writes) goes to a disk or device that cannot take "
        "it, such as a full disk or /dev/full; send the output somewhere with room (or to "
        "the terminal) and run the command again."
    )
    return 74  # EX_IOERR


def _unexpected(exc: BaseException) -> int:
    """The last resort: a bug in kubelab, said in one paragraph; the traceback on request."""
    if os.environ.get("KUBELAB_DEBUG"):
        traceback.print_exception(exc)
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        where = f" (in {Path(last.filename).name}, line {last.lineno})"
    _say(
        f"kubelab stopped on an unexpected error: {exc.__class__.__name__}: {exc}{where}. "
        "This is a bug in kubelab, not in your work. Run the command again with "
        "KUBELAB_DEBUG=1 to see the full traceback, and report it with that output to the "
        "course's issue tracker."
    )
    return 70  # EX_SOFTWARE


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code.

    Every way out is one paragraph and an exit code, never a traceback: kubelab's own
    errors, typer/click usage errors and Ctrl-C, output that cannot be written, and, last,
    anything unexpected (a bug, said as one).
    """
    modules = modules_for(sys.argv[1:] if argv is None else argv)
    _skip_slow_optional_imports(modules)
    no_proxy_with_loopback(os.environ)  # the lab is on loopback: never through a proxy
    code = _run(argv, modules)
    try:
        sys.stdout.flush()  # an output error belongs to this command, not to the exit
    except OSError as exc:
        return _output_failed(exc)
    return code


def _run(argv: list[str] | None, modules: list[str]) -> int:
    click_exception = _click_exception()
    try:
        _register(modules)
        # With standalone_mode=False, click returns a typer.Exit's code instead of exiting.
        code = app(args=argv, standalone_mode=False)
        return code if isinstance(code, int) else 0
    except KubelabError as exc:
        _say(str(exc))
        return exc.exit_code
    except SystemExit as exc:  # typer.Exit inside commands
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except click_exception as exc:
        exc.show()
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _say("Stopped (Ctrl-C, or the end of input at a question). Nothing more was done.")
        return 130
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EPIPE):
            return _output_failed(exc)
        return _unexpected(exc)
    except Exception as exc:
        return _unexpected(exc)


if __name__ == "__main__":
    sys.exit(main())
