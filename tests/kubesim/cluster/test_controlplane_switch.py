"""`python -m kubesim control-plane`'s client side: it signals only a live kubesim server.

SIGUSR1's default action ends a process, so a pid file left from an earlier run whose pid
now belongs to another program must be refused, not signalled: here that program is this
very test process, which would die if it were.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubesim.__main__ import main
from kubesim.cluster.controlplane import SwitchError, read_state, switch


def test_no_kubesim_in_the_state_folder_is_a_clear_refusal(tmp_path: Path):
    with pytest.raises(SwitchError, match="no kubesim is running with state in"):
        switch(tmp_path, "stop")


def test_a_stale_pid_file_naming_another_program_is_not_signalled(tmp_path: Path):
    (tmp_path / "kubesim.pid").write_text(str(os.getpid()))

    with pytest.raises(SwitchError, match="is not a kubesim server"):
        switch(tmp_path, "stop")
    assert read_state(tmp_path) is None


def test_the_command_line_says_why_in_one_line_and_exits_1(tmp_path: Path, capsys):
    assert main(["control-plane", "start", "--state-dir", str(tmp_path)]) == 1

    err = capsys.readouterr().err
    assert err.startswith("kubesim: no kubesim is running with state in") and "Traceback" not in err
