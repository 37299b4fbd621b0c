"""Process lifecycle: kill -9 loses no acknowledged write, restart reuses port and state,
`stop` ends the server through its pid file."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
from kubesim_process import start_kubesim, stop_kubesim

from kubelab._simprocess import stop_argv

pytestmark = pytest.mark.kubesim


def test_kill_9_then_restart_keeps_objects_port_and_increasing_revisions(tmp_path) -> None:
    cluster = start_kubesim(tmp_path / "state")
    try:
        cluster.kubectl(
            "create",
            "-f",
            "-",
            input=("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: durable\ndata:\n  k: v\n"),
        )
        before = json.loads(cluster.kubectl("get", "cm", "durable", "-o", "json").stdout)
    finally:
        os.kill(cluster.served.process.pid, signal.SIGKILL)
        cluster.served.process.wait()
    again = start_kubesim(tmp_path / "state")
    try:
        assert again.url == cluster.url  # the previous port is reused when free
        after = json.loads(again.kubectl("get", "cm", "durable", "-o", "json").stdout)
        assert after["metadata"]["uid"] == before["metadata"]["uid"]
        assert after["data"] == {"k": "v"}
        again.kubectl("label", "cm", "durable", "x=y")
        relabeled = json.loads(again.kubectl("get", "cm", "durable", "-o", "json").stdout)
        assert int(relabeled["metadata"]["resourceVersion"]) > int(
            before["metadata"]["resourceVersion"]
        )
        names = again.kubectl("get", "ns", "-o", "name").stdout.split()
        assert names.count("namespace/default") == 1
    finally:
        stop_kubesim(again)


def test_stop_command_ends_the_server_and_removes_the_pid_file(tmp_path) -> None:
    cluster = start_kubesim(tmp_path / "state")
    assert (tmp_path / "state" / "kubesim.pid").read_text() == str(cluster.served.process.pid)
    done = subprocess.run(
        stop_argv(tmp_path / "state"),
        timeout=20,
    )
    assert done.returncode == 0
    assert cluster.served.process.wait(10) == 0
    assert not (tmp_path / "state" / "kubesim.pid").exists()
    assert "kubesim: stopped" in cluster.served.log.read_text()


def test_kubeconfig_names_the_lab_context(tmp_path) -> None:
    import yaml

    cluster = start_kubesim(tmp_path / "state")
    try:
        config = yaml.safe_load(cluster.kubeconfig.read_text())
        assert config["current-context"] == "kubesim-kubelab"
        assert config["clusters"][0]["cluster"]["server"] == cluster.url
        assert config["users"][0]["user"]["token"]
        log = (tmp_path / "state" / "kubesim.log").read_text()
        assert "Traceback" not in log
    finally:
        stop_kubesim(cluster)
