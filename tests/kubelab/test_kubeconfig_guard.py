"""The lab-kubeconfig guard: kubelab acts on its own cluster and on nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubelab._errors import ClusterError, ForeignContextError
from kubelab._kubeconfig import lab_home, require_lab_kubeconfig


def _write(path: Path, context: str, server: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": context,
                "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
            }
        )
    )
    return path


@pytest.mark.parametrize(
    "context, server",
    [
        pytest.param("kind-kubelab", "https://127.0.0.1:40123", id="kind"),
        pytest.param("kubesim-kubelab", "https://localhost:6443", id="sim"),
    ],
)
def test_lab_contexts_on_this_machine_are_accepted(tmp_path: Path, context: str, server: str):
    info = require_lab_kubeconfig(_write(tmp_path / "kubeconfig", context, server))
    assert info.context == context
    assert info.server == server


@pytest.mark.parametrize(
    "context, server",
    [
        pytest.param("prod-cluster", "https://10.0.0.1:6443", id="foreign-context"),
        pytest.param("kind-kubelab", "https://10.0.0.1:6443", id="lab-name-remote-server"),
        pytest.param("", "", id="no-context"),
    ],
)
def test_foreign_clusters_are_refused(tmp_path: Path, context: str, server: str):
    with pytest.raises(ForeignContextError) as err:
        require_lab_kubeconfig(_write(tmp_path / "kubeconfig", context, server))
    assert "Refusing to act" in str(err.value)
    assert "kubelab up" in str(err.value)


def test_missing_kubeconfig_says_to_run_up(tmp_path: Path):
    with pytest.raises(ClusterError) as err:
        require_lab_kubeconfig(tmp_path / "nope")
    assert "kubelab up" in str(err.value)


def test_lab_home_prefers_env_then_nearest_parent(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("KUBELAB_HOME", raising=False)
    (tmp_path / ".kubelab").mkdir()
    nested = tmp_path / "notebooks" / "deep"
    nested.mkdir(parents=True)
    assert lab_home(nested) == tmp_path / ".kubelab"
    monkeypatch.setenv("KUBELAB_HOME", str(tmp_path / "elsewhere"))
    assert lab_home(nested) == tmp_path / "elsewhere"
