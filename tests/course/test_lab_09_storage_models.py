"""Lab 09 (storage and preloaded models), statically: its checks take the task's objects and
refuse the near misses, and its log checks read the lines the inference server really
writes (fetch_model and load_model run here, no cluster; the course_e2e tests walk the lab on
a live one)."""

from __future__ import annotations

import copy
import io
import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import checker  # noqa: E402
from inference._config import config_from_env  # noqa: E402
from inference._log import Log  # noqa: E402
from inference._main import fetch_model  # noqa: E402

LAB = ROOT / "labs" / "09-storage-models"


def _exercise(exercise_id: str) -> dict[str, Any]:
    lab = yaml.safe_load((LAB / "lab.yaml").read_text(encoding="utf-8"))
    return next(e for e in lab["exercises"] if e["id"] == exercise_id)


def _check(exercise_id: str, name: str) -> dict[str, Any]:
    return next(c for c in _exercise(exercise_id)["checks"] if c["name"] == name)


def _file(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((LAB / name).read_text(encoding="utf-8")) if d]


def _matches(check: dict[str, Any], obj: dict[str, Any]) -> bool:
    return not checker.parse_expectation(check["expect"]).match(obj, "")


def _pattern(exercise_id: str, name: str) -> re.Pattern[str]:
    return re.compile(_check(exercise_id, name)["log"]["pattern"])


@pytest.mark.parametrize(
    "change, passes",
    [
        pytest.param({}, True, id="the-task"),
        pytest.param({"storageClassName": "ssd-retain"}, False, id="another-class"),
        pytest.param({"accessModes": ["ReadWriteMany"]}, False, id="read-write-many"),
        pytest.param({"resources": {"requests": {"storage": "1024Mi"}}}, True, id="1024Mi"),
    ],
)
def test_claim_check_takes_the_task_claim_only(change: dict[str, Any], passes: bool) -> None:
    claim = _file("solution/model-storage.yaml")[0]
    claim["spec"].update(change)
    assert _matches(_check("claim", "claim-as-specified"), claim) is passes


def test_the_mount_checks_take_the_reference_and_not_the_starting_deployment() -> None:
    check = _check("mount", "deployment-mounts-the-claim")
    assert _matches(check, _file("solution/deployment-with-claim.yaml")[0])
    assert not _matches(check, _file("deployment.yaml")[0])
    # the reference is the starting file plus the volume and its mount, nothing else
    start, solved = _file("deployment.yaml")[0], _file("solution/deployment-with-claim.yaml")[0]
    pod = solved["spec"]["template"]["spec"]
    del pod["volumes"]
    del pod["containers"][0]["volumeMounts"]
    assert solved == start


def test_the_local_deployment_check_needs_the_hostpath_and_a_model_path_under_it() -> None:
    check = _check("preload", "local-deployment-reads-the-node-copy")
    local = _file("solution/inference-local.yaml")[0]
    local["status"] = {"availableReplicas": 3, "observedGeneration": 1}
    local["metadata"]["generation"] = 1
    assert _matches(check, local)
    in_image = copy.deepcopy(local)  # the image's own copy: no preload involved
    env = in_image["spec"]["template"]["spec"]["containers"][0]["env"]
    env[0]["value"] = "models/iris-logreg.json"
    assert not _matches(check, in_image)
    on_a_claim = copy.deepcopy(local)
    on_a_claim["spec"]["template"]["spec"]["volumes"] = [
        {"name": "models", "persistentVolumeClaim": {"claimName": "model-storage"}}
    ]
    assert not _matches(check, on_a_claim)


def test_the_preloader_check_needs_a_hostpath_and_every_pod_ready() -> None:
    check = _check("preload", "preloader-on-every-worker")
    daemonset = _file("solution/model-preloader.yaml")[0]
    daemonset["metadata"]["generation"] = 1
    status = {"desiredNumberScheduled": 2, "numberReady": 2, "observedGeneration": 1}
    assert _matches(check, {**daemonset, "status": status})
    assert not _matches(check, {**daemonset, "status": {**status, "numberReady": 1}})
    assert not _matches(check, {**daemonset, "status": {**status, "desiredNumberScheduled": 0}})


def _server_log(tmp_path: Path, *, preloaded: bool) -> str:
    """What fetch_model logs for lab 09's MODEL_PATH, fetched or found (fetch time 0 here)."""
    (tmp_path / "remote").mkdir()
    (tmp_path / "remote" / "iris-logreg.json").write_text("{}")
    if preloaded:
        (tmp_path / "models").mkdir()
        (tmp_path / "models" / "iris-logreg.json").write_text("{}")
    env = {
        "MODEL_PATH": str(tmp_path / "models" / "iris-logreg.json"),
        "MODEL_URL": f"file://{tmp_path / 'remote' / 'iris-logreg.json'}",
        "MODEL_FETCH_SECONDS": "0",
    }
    out = io.StringIO()
    assert fetch_model(
        config_from_env(env, cwd=tmp_path), log=Log(stream=out), stop=threading.Event()
    )
    return out.getvalue().replace(str(tmp_path), "")


def test_the_fetch_check_reads_the_servers_fetch_line(tmp_path: Path) -> None:
    log = _server_log(tmp_path, preloaded=False)
    assert _pattern("mount", "model-fetched-to-the-claim").search(log), log
    assert not _pattern("preload", "started-from-the-local-copy").search(log)


def test_the_local_copy_check_reads_the_servers_local_disk_line(tmp_path: Path) -> None:
    log = _server_log(tmp_path, preloaded=True)
    assert _pattern("preload", "started-from-the-local-copy").search(log), log
    assert not _pattern("mount", "model-fetched-to-the-claim").search(log)


@pytest.mark.parametrize(
    "line, passes",
    [
        pytest.param("loaded in 2.0s, holding 64 MiB; ready", True, id="preloaded"),
        pytest.param("loaded in 15.1s, holding 64 MiB; ready", False, id="fetched"),
        pytest.param("loaded in 5.0s, holding 64 MiB; ready", False, id="five-seconds"),
    ],
)
def test_started_in_seconds_means_under_five(line: str, passes: bool) -> None:
    assert (
        bool(
            _pattern("preload", "started-in-seconds").search(
                f"INFO: model iris-logreg 1.0.0 {line}"
            )
        )
        is passes
    )


def test_retain_check_takes_a_released_retain_volume_of_the_claim_only() -> None:
    check = _check("retain", "volume-released-and-kept")
    volume = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pvc-1"},
        "spec": {
            "storageClassName": "ssd-retain",
            "persistentVolumeReclaimPolicy": "Retain",
            "claimRef": {"namespace": "lab-09", "name": "model-cache"},
        },
        "status": {"phase": "Released"},
    }
    assert _matches(check, volume)
    assert not _matches(check, {**volume, "status": {"phase": "Bound"}})
    assert _matches(
        _check("retain", "storageclass-as-specified"), _file("solution/storageclass.yaml")[0]
    )
