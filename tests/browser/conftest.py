"""The course in a real browser: JupyterLab on the simulator, driven by headless Chromium.

One session: `kubelab up --backend sim` in a temporary KUBELAB_HOME, then `jupyter lab` on
a copy of the course's notebooks with KUBECONFIG/KUBELAB_HOME/PATH set as a learner's
kernel has them, then Playwright for Python driving Debian's `chromium` (Playwright's own
browser download cannot work here, so `executable_path`). Screenshots of the key states go
to `artifacts/screenshots/` (gitignored; CI keeps the folder).

Skipped, saying why, where Chromium or Playwright is missing: `.ci/run` installs both.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kubelab._jupyter import jupyter_lab
from kubelab._widget_settings import jupyter_config_path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = Path(os.environ.get("KUBELAB_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Course:
    """A lab cluster and a JupyterLab serving a copy of the notebooks on it."""

    home: Path
    workdir: Path
    env: dict[str, str]
    url: str = ""
    token: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    server: subprocess.Popen[bytes] | None = None

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            cwd=self.workdir / "notebooks",
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/notebooks/{name}?token={self.token}&reset"


def _wait_for_server(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"jupyter lab exited {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/api", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"jupyter lab did not answer in 90s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Course]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)")
    pytest.importorskip("playwright", reason="pip install -e '.[test]' installs playwright")
    base = tmp_path_factory.mktemp("browser")
    workdir = base / "course"
    (workdir / "notebooks").mkdir(parents=True)
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, workdir / "notebooks" / notebook.name)
    (workdir / "manifests").symlink_to(ROOT / "manifests")
    (workdir / "labs").symlink_to(ROOT / "labs")  # the solution cells apply labs/*/solution
    home = workdir / ".kubelab"
    env = dict(os.environ)
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        env.pop(key, None)
    env.update(
        KUBELAB_HOME=str(home),
        KUBECONFIG=str(home / "kubeconfig"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(base),  # no user Jupyter settings, no ~/.kube
        # notebooks saved without widget views, no news prompt (kubelab/_widget_settings.py)
        JUPYTER_CONFIG_PATH=jupyter_config_path({}),
        PYTHONUNBUFFERED="1",
    )
    course = Course(home=home, workdir=workdir, env=env)
    started = time.monotonic()
    course.run("kubelab", "up", "--backend", "sim", timeout=180)
    course.timings["kubelab up"] = time.monotonic() - started
    course.timings["started"] = started
    port, course.token = _free_port(), secrets.token_hex(16)
    course.url = f"http://127.0.0.1:{port}"
    log = base / "jupyter.log"
    with log.open("wb") as out:
        course.server = subprocess.Popen(
            [
                *jupyter_lab(BIN),  # as `kubelab course` starts it
                "--no-browser",
                "--allow-root",
                f"--port={port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={course.token}",
                f"--ServerApp.root_dir={workdir}",
                "--expose-app-in-browser",  # window.jupyterapp: run cells by command
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_server(course.url, course.server, log)
        yield course
    finally:
        course.server.terminate()
        try:
            course.server.wait(15)
        except subprocess.TimeoutExpired:
            course.server.kill()
        subprocess.run(
            [str(BIN / "kubelab"), "down"], env=env, cwd=workdir, capture_output=True, timeout=120
        )


# Module scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and every pytest-asyncio test that a worker runs after this
# module would fail with "Runner.run() cannot be called from a running event loop".
@pytest.fixture(scope="module")
def browser(course: Course) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Page:
    """A JupyterLab tab, with the console errors it logged."""

    page: Any
    errors: list[str]

    def shot(self, name: str, focus: Any = None) -> Path:
        """A screenshot under artifacts/screenshots/, scrolled to `focus` (a locator)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if focus is not None:
            focus.scroll_into_view_if_needed()
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def command(
        self, command: str, args: dict[str, Any] | None = None, *, wait: bool = True
    ) -> Any:
        """Run a JupyterLab command; `wait=False` returns before it ends (a running cell)."""
        body = "window.jupyterapp.commands.execute(c, a)"
        script = f"([c, a]) => {body}" if wait else f"([c, a]) => {{ {body}; }}"
        return self.page.evaluate(script, [command, args or {}])

    def notebook_js(self, body: str) -> Any:
        """Evaluate `body` with `nb` = the current notebook panel."""
        return self.page.evaluate(
            f"() => {{ const nb = window.jupyterapp.shell.currentWidget; {body} }}"
        )

    def restart_kernel(self) -> None:
        """Restart the notebook's kernel as a learner does, once the kernel has answered what
        JupyterLab asked it on the control channel: widget comms go over a kernel subshell
        (JupyterLab 4.6's `commsOverSubshells`), and a create_subshell_request still in
        flight when the kernel restarts is cancelled, which JupyterLab logs as a console
        error. The control channel answers in order, so one list_subshell_request
        answered means every earlier request was."""
        self.page.evaluate(
            "async () => { const k = window.jupyterapp.shell.currentWidget"
            ".sessionContext.session.kernel;"
            " if (k.supportsSubshells) { await k.requestListSubshell({}).done; }"
            " await k.restart(); }"
        )

    def wait_idle(self, timeout: float = 120) -> None:
        self.page.wait_for_function(
            "() => { const nb = window.jupyterapp.shell.currentWidget;"
            " const k = nb && nb.sessionContext.session && nb.sessionContext.session.kernel;"
            " return k && k.status === 'idle' &&"
            " !nb.content.widgets.some(c => c.model.type === 'code' &&"
            " c.promptNode && c.promptNode.textContent.includes('[*]')); }",
            timeout=timeout * 1000,
        )

    def run_cells(self, start: int, stop: int, *, timeout: float = 180) -> None:
        """Run cells start..stop-1 in order, each after the previous has finished."""
        for index in range(start, stop):
            self.notebook_js(f"nb.content.activeCellIndex = {index};")
            self.command("notebook:run-cell")
            self.wait_idle(timeout)

    def cell_index(self, needle: str, *, after: int = 0) -> int:
        """The first cell at or after `after` whose source contains `needle`."""
        found = self.notebook_js(
            "return nb.content.widgets.findIndex((c, i) => i >= "
            f"{after} && c.model.sharedModel.getSource().includes({json.dumps(needle)}));"
        )
        assert found >= 0, f"no cell with {needle!r} after cell {after}"
        return int(found)

    def cell(self, index: int) -> Any:
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)


@pytest.fixture(scope="module")
def nb(course: Course, browser: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    """One JupyterLab tab on the module's NOTEBOOK, console errors collected; the time from
    `kubelab up` to its first render is kept in course.timings."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    tab = Page(page, errors)
    page.goto(course.notebook_url(request.module.NOTEBOOK))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget")
    course.timings.setdefault(
        "first notebook rendered", time.monotonic() - course.timings["started"]
    )
    tab.wait_idle()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def real_errors():
    """The console errors a test fails on: all of them (none is expected, not even around a
    kernel restart); a function so that an expected one can be named here with its reason."""
    return lambda errors: list(errors)
