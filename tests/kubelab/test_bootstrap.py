"""bootstrap.py, the README's two commands: a half-made venv is recreated, and a Python
that cannot make one says what to install instead of failing on every later run."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from tomllib import loads

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bootstrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("bootstrap_under_test", ROOT / "bootstrap.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(module, "BIN", tmp_path / ".venv" / "bin")
    monkeypatch.setattr(module, "_run", lambda *cmd: ran.append([str(c) for c in cmd]))
    ran: list[list[str]] = []
    module.ran = ran
    return module


def _fake_python(path: Path, *, pip_works: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nexit {0 if pip_works else 1}\n")
    path.chmod(0o755)


def test_a_venv_whose_pip_does_not_run_is_recreated(bootstrap, monkeypatch):
    _fake_python(bootstrap.BIN / "python", pip_works=False)
    created = []

    class Builder:
        def __init__(self, **kwargs):
            created.append(kwargs)

        def create(self, path):
            _fake_python(Path(path) / "bin" / "python", pip_works=True)

    monkeypatch.setattr(bootstrap.venv, "EnvBuilder", Builder)
    bootstrap.ensure_venv("test")
    assert created == [{"with_pip": True, "clear": True}]
    assert [c[-1] for c in bootstrap.ran] == ["pip", ".[test]", str(bootstrap.VENV / "lib")]
    # pip leaves the bytecode to compileall, which compiles on every core
    assert "--no-compile" in bootstrap.ran[1]
    assert bootstrap.ran[2][1:6] == ["-m", "compileall", "-q", "-j", "0"]
    assert (bootstrap.VENV / ".installed-test").exists()


def test_a_working_venv_is_reused(bootstrap, monkeypatch):
    _fake_python(bootstrap.BIN / "python", pip_works=True)
    monkeypatch.setattr(bootstrap.venv, "EnvBuilder", lambda **_: pytest.fail("recreated"))
    bootstrap.ensure_venv("")
    assert bootstrap.ran  # installed once (no stamp yet) ...
    bootstrap.ran.clear()
    bootstrap.ensure_venv("")
    assert bootstrap.ran == []  # ... and not again


def test_a_python_without_ensurepip_says_to_install_python3_venv(bootstrap, monkeypatch, capsys):
    class Builder:
        def __init__(self, **kwargs):
            pass

        def create(self, path):
            Path(path, "bin").mkdir(parents=True)
            raise subprocess.CalledProcessError(1, ["python", "-m", "ensurepip"])

    monkeypatch.setattr(bootstrap.venv, "EnvBuilder", Builder)
    with pytest.raises(SystemExit) as stop:
        bootstrap.ensure_venv("")
    assert "apt-get install python3-venv" in str(stop.value.code)
    assert "ensurepip" in str(stop.value.code)
    assert not bootstrap.VENV.exists()
    assert bootstrap.ran == []


def test_bootstrap_runs_on_the_python_it_is_given():
    out = subprocess.run(
        [sys.executable, str(ROOT / "bootstrap.py"), "help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "bootstrap.py test" in out.stdout


@pytest.mark.parametrize(
    "args, up, course",
    [
        pytest.param([], [], [], id="none"),
        pytest.param(["--backend", "sim"], ["--backend", "sim"], [], id="up-only"),
        pytest.param(
            ["--backend", "sim", "--port", "8899", "--no-browser", "--ip=0.0.0.0", "--no-token"],
            ["--backend", "sim"],
            ["--port", "8899", "--no-browser", "--ip=0.0.0.0", "--no-token"],
            id="both",
        ),
        pytest.param(["--token", "abc"], [], ["--token", "abc"], id="token"),
    ],
)
def test_up_passes_course_options_to_kubelab_course(bootstrap, monkeypatch, args, up, course):
    monkeypatch.setattr(bootstrap, "ensure_venv", lambda extra: None)
    bootstrap.main(["up", *args])
    kubelab = str(bootstrap.BIN / "kubelab")
    assert bootstrap.ran[1:] == [[kubelab, "up", *up], [kubelab, "course", *course]]
    assert bootstrap.ran[0][1:3] == ["-m", "compileall"]


def test_the_projects_sources_get_bytecode_where_python_writes_none(
    bootstrap, monkeypatch: pytest.MonkeyPatch
):
    """An editable install's sources are not compiled by pip; with PYTHONDONTWRITEBYTECODE
    (CI's machines) every process compiled them again. The project's packages from
    pyproject are the ones compiled, and a source edited later gets new bytecode."""
    include = loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert {p.rstrip("*") for p in include["find"]["include"]} == set(bootstrap.PACKAGES)
    package = bootstrap.ROOT / "kubelab"
    package.mkdir()
    (package / "mod.py").write_text("X = 1\n")
    monkeypatch.setattr(bootstrap, "BIN", Path(sys.executable).parent)
    monkeypatch.setattr(bootstrap, "_run", lambda *cmd: subprocess.run(cmd, cwd=bootstrap.ROOT))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    bootstrap.compile_sources()
    [cached] = (package / "__pycache__").glob("mod.*.pyc")
    first = cached.read_bytes()
    (package / "mod.py").write_text("X = 22\n")
    later = (package / "mod.py").stat().st_mtime + 10
    os.utime(package / "mod.py", (later, later))
    bootstrap.compile_sources()
    assert cached.read_bytes() != first


def test_the_suite_runs_in_parallel_without_nbvals_plugin(bootstrap, monkeypatch):
    """The suite's own workers never collect a notebook (tests/nbval_command.py runs them in
    processes of their own), so nbval's plugin, 2.5 s of imports in each, stays out; a
    `-n` given on the command line replaces the default parallelism."""
    monkeypatch.setattr(bootstrap, "ensure_venv", lambda extra: None)
    bootstrap.main(["test", "-q"])
    suite = bootstrap.ran[-1]
    assert suite[1:3] == ["-m", "pytest"]
    assert suite[3:7] == bootstrap.PARALLEL
    assert suite[suite.index("no:nbval") - 1 : suite.index("no:nbval") + 1] == ["-p", "no:nbval"]
    assert suite[-1] == "-q"
    bootstrap.ran.clear()
    bootstrap.main(["test", "-n", "0"])
    assert "-n" in bootstrap.ran[-1] and "4" not in bootstrap.ran[-1]
