"""How `kubelab course` starts JupyterLab: argv, environment and the config kubelab writes.

JupyterLab must start anywhere the course runs, and hand the lab's environment to everything
it starts:

* **root** (containers, WSL, Codespaces, CI): JupyterLab refuses to run as root without
  `--allow-root`; kubelab passes it when the effective uid is 0 and says so once.
* **kernels and terminals** get the lab's environment (the venv's `bin` first on PATH,
  KUBECONFIG, KUBELAB_HOME) because it is set on the server process, which both inherit.
  A terminal is a *login* shell by default (jupyter_server_terminals adds `-l` when the
  server has no tty), and Debian's /etc/profile then resets PATH: the venv's kubectl and
  `kubelab` vanish. So kubelab names the terminal's shell itself: bash reading a small rc
  file that sources the usual ones and puts the lab's environment back last.
* **the learner's view**: no news popup or update check, and the authoring files
  (`notebooks/src/`, `notebooks/build.py`) hidden from the file browser.

Everything is configured in `<lab_home>/jupyter/` (`JUPYTER_CONFIG_DIR` points there for
the server), never in the user's `~/.jupyter`, and the rest on the command line.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelab._kubeconfig import no_proxy_with_loopback
from kubelab._widget_settings import jupyter_config_path

# What a learner sees first: the course's landing page (every lab, minutes, score), or the
# first lab's notebook where there is no landing page (an older checkout).
FIRST_NOTEBOOKS = ("course.ipynb", "00-welcome.ipynb")
# What a learner should not meet in the file browser: the notebooks' sources and builder,
# on top of jupyter_server's own default hide_globs.
AUTHORING = ("src", "build.py")
SERVER_HIDDEN = ("__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*.so", "*.dylib", "*~")
NEWS_PLUGIN = ("@jupyterlab", "apputils-extension", "notification")


@dataclass(frozen=True)
class CourseOptions:
    """What the learner asked of `kubelab course`."""

    port: int | None = None
    ip: str | None = None
    open_browser: bool = True
    token: str | None = None  # None: JupyterLab makes a random one; "": no token at all
    as_root: bool = False


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def is_loopback_ip(ip: str | None) -> bool:
    """Whether JupyterLab would listen on this machine only (its default is localhost)."""
    if ip is None or ip in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def config_dir(home: Path) -> Path:
    return home / "jupyter"


def terminal_rc(*, venv_bin: Path, kubeconfig: Path, home: Path) -> str:
    """The rc file of JupyterLab's terminals: the user's usual shell setup, then the lab's."""
    q = shlex.quote
    return "\n".join(
        [
            "# Written by `kubelab course`: JupyterLab terminals get the lab's environment.",
            "[ -r /etc/bash.bashrc ] && . /etc/bash.bashrc",
            '[ -r "$HOME/.bashrc" ] && . "$HOME/.bashrc"',
            f'export PATH={q(str(venv_bin))}:"$PATH"',
            f"export KUBECONFIG={q(str(kubeconfig))}",
            f"export KUBELAB_HOME={q(str(home))}",
            "",
        ]
    )


def terminal_shell(rc: Path) -> list[str]:
    """bash on kubelab's rc file; plain `sh` (not a login shell, so PATH stays) without bash."""
    bash = shutil.which("bash")
    if bash:
        return [bash, "--rcfile", str(rc), "-i"]
    return [shutil.which("sh") or "/bin/sh"]


def server_config(*, shell: list[str], settings_dir: Path, workspaces_dir: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"terminado_settings": {"shell_command": shell}},
        "ContentsManager": {"hide_globs": [*SERVER_HIDDEN, *AUTHORING]},
        "LabApp": {
            "user_settings_dir": str(settings_dir),
            "workspaces_dir": str(workspaces_dir),
            "news_url": None,
            "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        },
    }


NEWS_SETTINGS = {"fetchNews": "false", "checkForUpdates": False}


def write_config(*, home: Path, kubeconfig: Path, venv_bin: Path) -> Path:
    """Write `<home>/jupyter/` (server config, JupyterLab settings, terminal rc); its path."""
    root = config_dir(home)
    settings = root / "lab-user-settings"
    news = settings.joinpath(*NEWS_PLUGIN[:2]) / f"{NEWS_PLUGIN[2]}.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    if not news.exists():  # the learner may change it later in JupyterLab; keep that
        news.write_text(json.dumps(NEWS_SETTINGS, indent=2) + "\n")
    (root / "lab-workspaces").mkdir(parents=True, exist_ok=True)
    rc = root / "terminal-rc.sh"
    rc.write_text(terminal_rc(venv_bin=venv_bin, kubeconfig=kubeconfig, home=home))
    config = server_config(
        shell=terminal_shell(rc), settings_dir=settings, workspaces_dir=root / "lab-workspaces"
    )
    (root / "jupyter_server_config.json").write_text(json.dumps(config, indent=2) + "\n")
    return root


def jupyter_lab(venv_bin: Path) -> list[str]:
    """What `jupyter lab` is in kubelab: JupyterLab's `main` without a slow optional import
    (kubelab/_lab_server.py). `-P` keeps the working directory off sys.path, where a
    learner's own json.py or yaml.py would stand in for the library JupyterLab imports."""
    return [str(venv_bin / "python"), "-P", "-m", "kubelab._lab_server"]


def lab_argv(*, venv_bin: Path, notebooks: Path, options: CourseOptions) -> list[str]:
    """`jupyter lab` with the learner's choices on the command line."""
    argv = [*jupyter_lab(venv_bin), f"--ServerApp.root_dir={notebooks}"]
    first = next((name for name in FIRST_NOTEBOOKS if (notebooks / name).exists()), None)
    if first is not None:
        argv.append(f"--LabApp.default_url=/lab/tree/{first}")
    if options.as_root:
        argv.append("--allow-root")
    if options.port is not None:
        # the port asked for, or an error: not silently the next free one
        argv += [f"--ServerApp.port={options.port}", "--ServerApp.port_retries=0"]
    if options.ip is not None:
        argv.append(f"--ServerApp.ip={options.ip}")
    if options.token is not None:
        argv.append(f"--IdentityProvider.token={options.token}")
    if not options.open_browser:
        argv.append("--no-browser")
    return argv


def lab_environment(
    base: dict[str, str], *, venv_bin: Path, kubeconfig: Path, home: Path
) -> dict[str, str]:
    """The server's environment, which its kernels and terminals inherit."""
    env = dict(base)
    env["KUBECONFIG"] = str(kubeconfig)
    env["KUBELAB_HOME"] = str(home)
    env["PATH"] = os.pathsep.join([str(venv_bin), base.get("PATH", "")])
    env["JUPYTER_CONFIG_DIR"] = str(config_dir(home))
    # the widgets' settings: notebooks saved without widget views (a reopened one shows each
    # exercise with "run this cell to load the exercise", not "model not found")
    env["JUPYTER_CONFIG_PATH"] = jupyter_config_path(env)
    no_proxy_with_loopback(env)  # the notebooks' checker reaches the lab directly
    return env
