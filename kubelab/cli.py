"""The `kubelab` command: one Typer app; command groups live in their own modules.

Errors are turned into one readable paragraph here, at the edge, and nowhere else.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from kubelab._errors import KubelabError

app = typer.Typer(
    name="kubelab",
    help="A hands-on Kubernetes course: bring up the lab cluster, open the notebooks, check your work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    """Import the command modules, which add their commands to `app` (they import `app`
    from here, so they cannot be imported before it exists)."""
    import importlib

    for name in (
        "kubelab._cmd_cluster",
        "kubelab._cmd_grading",
        "kubelab._cmd_labs",
        "kubelab._cmd_tasks",
    ):
        importlib.import_module(name)


def _skip_slow_optional_imports() -> None:
    """Keep `kubelab` quick to start: 3.4 s became 0.8 s on the 2-core reference machine.

    Importing the official client imports `kubernetes.dynamic`, which imports the optional
    `kubernetes_validate`, which imports `jsonschema`, whose format checkers import
    `rfc3987_syntax` if present (Jupyter's jsonschema extras install it), and that compiles
    a Lark grammar at import: 2.4 s, for the `iri` string format that nothing in kubelab
    checks. A `None` entry makes that optional import fail, so jsonschema just leaves the
    format unchecked. Only the CLI's own process does this; the library leaves a host alone.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    _skip_slow_optional_imports()
    _register()
    try:
        # With standalone_mode=False, click returns a typer.Exit's code instead of exiting.
        code = app(args=argv, standalone_mode=False)
    except KubelabError as exc:
        # the message quotes tools' own output ("[internal] load ...", "[/var/lib/docker]"),
        # which must print as written, not be read as rich markup
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False
        )
        return exc.exit_code
    except SystemExit as exc:  # typer.Exit inside commands
        return int(exc.code or 0)
    except Exception as exc:  # click usage errors come as click exceptions
        try:
            import click
        except ModuleNotFoundError:  # typer >= 0.20 vendors click as typer._click
            from typer import _click as click  # type: ignore[no-redef]

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 130
        raise
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
