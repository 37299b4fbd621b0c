"""`kubelab break control-plane-down` on a real simulator, as a learner types it.

The course's own fault (lab 03) through the real CLI and kubesim's real switch: kubectl is
refused in its own words, `status`, `check` and `doctor` say the control plane is down and
how to bring it back, and `kubelab fix control-plane-down` brings it back. (What the data
plane does meanwhile is tests/scenarios/test_control_plane_down.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KUBECTL = str(Path(sys.executable).parent / "kubectl")


def _kubelab(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBELAB_HOME": str(home), "HOME": str(home.parent), "COLUMNS": "200"}
    env.pop("KUBECONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "kubelab", *args],
        env=env,
        cwd=home.parent,
        text=True,
        capture_output=True,
        timeout=180,
        check=False,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.kubesim
def test_break_then_fix_control_plane_down_on_the_simulator(tmp_path: Path) -> None:
    home = tmp_path / ".kubelab"
    up = _kubelab(home, "up", "--backend", "sim")
    assert up.returncode == 0, up.stderr
    try:
        broke = _kubelab(home, "break", "control-plane-down")
        assert broke.returncode == 0, broke.stderr
        assert "To undo this fault: kubelab fix control-plane-down" in broke.stdout

        port = (home / "sim" / "port").read_text().strip()
        refused = subprocess.run(
            [KUBECTL, "--kubeconfig", str(home / "kubeconfig"), "get", "pods"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert refused.returncode == 1
        # without a discovery cache kubectl first logs each failed discovery (memcache.go),
        # as it does against a real cluster whose API server is down; its verdict is last
        assert refused.stderr.strip().splitlines()[-1] == (
            f"The connection to the server 127.0.0.1:{port} was refused - did you specify the "
            "right host or port?"
        )

        for args in (("status",), ("check", "03-self-healing", "--no-wait")):
            said = _kubelab(home, *args)
            text = _one_line(said.stderr)
            assert said.returncode == 5, (args, said.stdout, said.stderr)
            assert "The lab cluster's control plane is down" in text, (args, text)
            assert "Bring the control plane back with `kubelab fix control-plane-down`." in text
            assert "Traceback" not in said.stderr
        assert "control plane down" in _kubelab(home, "doctor").stdout

        fixed = _kubelab(home, "fix", "control-plane-down")
        assert fixed.returncode == 0, fixed.stderr
        status = _kubelab(home, "status")
        assert status.returncode == 0, status.stderr
        assert "kubelab-worker2" in status.stdout
        assert not (home / "control-plane-down").exists()
    finally:
        _kubelab(home, "down")
