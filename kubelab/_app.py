"""The `kubelab` Typer app, kept apart from the entry point (`kubelab.cli`).

Each `_cmd_*` module adds its commands to this app; `cli` imports those modules and runs the
app. With the app here, neither imports the other back: commands never see the entry point
and its error handling.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="kubelab",
    help="A hands-on Kubernetes course: bring up the lab cluster, open the notebooks, check your work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
