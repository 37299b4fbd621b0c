"""The kubelet's programs start in their container's cgroup and die with kubesim, without a
`preexec_fn` (which would fork kubesim's whole interpreter per start, issue 21)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kubesim.kubelet import _launch

pytestmark = pytest.mark.skipif(_launch.TOOLS is None, reason="needs sh and util-linux setpriv")

# the child prints its pid and its parent-death signal (prctl PR_GET_PDEATHSIG)
REPORT = (
    "import ctypes, os; s = ctypes.c_int(); "
    "ctypes.CDLL(None, use_errno=True).prctl(2, ctypes.byref(s)); print(os.getpid(), s.value)"
)


def test_the_command_joins_each_cgroup_and_gets_sigkill_as_its_parent_death_signal(
    tmp_path: Path,
) -> None:
    procs = [tmp_path / "memory.procs", tmp_path / "cpu.procs"]
    for p in procs:
        p.write_text("")
    argv = _launch.argv([sys.executable, "-c", REPORT], procs, strict=True)
    assert argv is not None
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()
    pid, death = int(out[0]), int(out[1])
    assert death == signal.SIGKILL
    # the pid written is the command's own: the same process all along, sh to setpriv to it
    assert [p.read_text().strip() for p in procs] == [str(pid), str(pid)]


def test_strict_does_not_run_the_command_when_it_cannot_join(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    argv = _launch.argv(
        ["/bin/sh", "-c", f"touch {marker}"], [tmp_path / "gone" / "cgroup.procs"], strict=True
    )
    assert argv is not None
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 126
    assert "gone/cgroup.procs" in done.stderr
    assert not marker.exists()


def test_lenient_runs_the_command_in_what_is_left(tmp_path: Path) -> None:
    kept = tmp_path / "kept.procs"
    kept.write_text("")
    argv = _launch.argv(
        [sys.executable, "-c", REPORT], [tmp_path / "gone" / "cgroup.procs", kept], strict=False
    )
    assert argv is not None
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""
    assert kept.read_text().strip() == done.stdout.split()[0]


def test_arguments_pass_through_unchanged(tmp_path: Path) -> None:
    tricky = ["--", "$HOME", "a b", "'q'", "-c", ""]
    argv = _launch.argv(
        [sys.executable, "-c", "import sys; print(sys.argv[1:])", *tricky], [], strict=True
    )
    assert argv is not None
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert out.strip() == repr(tricky)


def test_without_setpriv_the_caller_is_told_to_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_launch, "TOOLS", None)
    assert _launch.argv(["true"], [], strict=True) is None
