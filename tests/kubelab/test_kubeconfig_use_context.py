"""`kubectl config use-context prod` (lab 07's contexts): kubelab refuses to act, and says
the one command that puts the lab's own context back, not `kubelab down`/`up`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubelab._errors import ForeignContextError
from kubelab._kubeconfig import require_lab_kubeconfig


def _write(path: Path, current: str) -> Path:
    lab = {"cluster": "kubesim-kubelab", "user": "kubesim-kubelab"}
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": current,
                "contexts": [
                    {"name": "kubesim-kubelab", "context": {**lab, "namespace": "lab-07"}},
                    {"name": "prod", "context": {**lab, "namespace": "production"}},
                ],
                "clusters": [
                    {"name": "kubesim-kubelab", "cluster": {"server": "https://127.0.0.1:6443"}}
                ],
                "users": [{"name": "kubesim-kubelab", "user": {"token": "t"}}],
            }
        )
    )
    return path


def test_another_current_context_is_refused_with_the_way_back(tmp_path: Path):
    with pytest.raises(ForeignContextError) as err:
        require_lab_kubeconfig(_write(tmp_path / "kubeconfig", "prod"))
    text = str(err.value)
    assert text.startswith("Refusing to act")
    assert "current context 'prod'" in text
    assert "`kubectl config use-context kubesim-kubelab`" in text
    assert text.index("use-context kubesim-kubelab") < text.index("kubelab up")  # first
    assert "\n" not in text


def test_the_labs_own_context_current_with_prod_beside_it_is_accepted(tmp_path: Path):
    info = require_lab_kubeconfig(_write(tmp_path / "kubeconfig", "kubesim-kubelab"))
    assert (info.context, info.cluster, info.user) == (
        "kubesim-kubelab",
        "kubesim-kubelab",
        "kubesim-kubelab",
    )
