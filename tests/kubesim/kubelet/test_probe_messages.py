"""An exec probe's messages name the probe's own command, as the kubelet's do: the
runtime's way into the container (nsenter, kubesim's init and its interpreter) never
reaches a `Liveness probe failed: ...` event (issue 14)."""

from __future__ import annotations

import os
import sys

from kubesim.kubelet._probes import exec_command


async def test_a_timed_out_exec_probe_names_the_probe_command_as_go_quotes_it() -> None:
    wrapped = [sys.executable, "-c", "import time; time.sleep(5)"]  # the runtime's argv
    result = await exec_command(
        wrapped, "/", dict(os.environ), 0.2, shown=["sh", "-c", 'sleep 5; echo "done"']
    )
    assert not result.ok
    assert result.message == 'command "sh -c sleep 5; echo \\"done\\"" timed out'
    assert sys.executable not in result.message


async def test_a_failing_exec_probe_reports_the_command_s_output() -> None:
    result = await exec_command(["sh", "-c", "echo not ready; exit 1"], "/", {}, 5.0)
    assert (result.ok, result.message) == (False, "not ready\n")
