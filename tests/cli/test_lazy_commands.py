"""A command imports its own module only (kubelab/cli.py, COMMAND_MODULES): the table must say
what the modules register, and a command must still be a command when it is the only one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fresh_python import python_output

from kubelab import cli

KUBELAB = Path(sys.executable).parent / "kubelab"


def test_the_table_names_every_command_each_module_registers_and_no_other() -> None:
    registered = json.loads(
        python_output(
            "import importlib, json, typer.main\n"
            "from kubelab import cli\n"
            "from kubelab._app import app\n"
            "seen, found = set(), {}\n"
            "for module in dict.fromkeys(cli.COMMAND_MODULES.values()):\n"
            "    importlib.import_module(module)\n"
            "    names = set(typer.main.get_command(app).commands) - seen\n"
            "    found.update({name: module for name in names})\n"
            "    seen |= names\n"
            "print(json.dumps(found))\n"
        )
    )
    assert registered == cli.COMMAND_MODULES


@pytest.mark.parametrize(
    ("argv", "modules"),
    [
        (["check", "01-deploy", "--no-wait"], ["kubelab._cmd_grading"]),
        (["class-report", "a.json"], ["kubelab._cmd_classroom"]),
        (["lint"], ["kubelab._cmd_lint"]),
    ],
)
def test_a_command_line_needs_its_commands_module(argv: list[str], modules: list[str]) -> None:
    assert cli.modules_for(argv) == modules


@pytest.mark.parametrize("argv", [[], ["--help"], ["chek", "01-deploy"], ["--help", "check"]])
def test_without_a_command_to_name_every_module_is_loaded(argv: list[str]) -> None:
    assert cli.modules_for(argv) == list(dict.fromkeys(cli.COMMAND_MODULES.values()))


def test_grading_does_not_import_the_schema_validator_lint_needs() -> None:
    out = python_output(
        "import sys; from kubelab import cli; cli._register(cli.modules_for(['check'])); "
        "print('kubelab._cmd_lint' in sys.modules, 'kubernetes_validate' in sys.modules)"
    )
    assert out.split() == ["False", "False"]


def test_a_command_alone_in_the_app_is_still_named_on_its_command_line() -> None:
    """Typer makes an app of one command that command itself; `kubelab lint` must not
    become `kubelab [LAB]`, reading "lint" as a lab id."""
    proc = subprocess.run([str(KUBELAB), "lint", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Usage: kubelab lint [OPTIONS] [lab]" in proc.stdout


def test_a_misspelt_command_is_told_among_all_of_them() -> None:
    proc = subprocess.run([str(KUBELAB), "chek"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "No such command 'chek'" in proc.stderr and "check" in proc.stderr


def test_a_check_imports_the_official_client_without_its_optional_validator() -> None:
    out = python_output(
        "import sys; from kubelab import cli; "
        "cli._skip_slow_optional_imports(cli.modules_for(['check'])); "
        "import kubernetes.client, kubernetes.config, kubernetes.dynamic; "
        "print(sys.modules['kubernetes_validate'] is None, 'jsonschema' in sys.modules)"
    )
    assert out.split() == ["True", "False"]


def test_lint_still_validates_manifests_against_the_kubernetes_schema() -> None:
    proc = subprocess.run([str(KUBELAB), "lint", "01-deploy"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = python_output(
        "import sys; from kubelab import cli; "
        "cli._skip_slow_optional_imports(cli.modules_for(['lint'])); cli._register(cli.modules_for(['lint'])); "
        "print(sys.modules['kubernetes_validate'] is not None)"
    )
    assert out.split() == ["True"]
