"""Golden pairs from the Kubernetes documentation: <case>.input / .patch / .output.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubesim.apiserver.patch.dispatch import apply_patch

DATA = Path(__file__).parent / "patchdata"
CASES = sorted(p.name.removesuffix(".input.yaml") for p in DATA.glob("*.input.yaml"))


def _gvk(obj: dict) -> tuple[str, str, str]:
    group, _, version = obj["apiVersion"].rpartition("/")
    return group, version, obj["kind"]


@pytest.mark.parametrize("case", CASES)
def test_strategic_merge_patch_golden(case):
    obj = yaml.safe_load((DATA / f"{case}.input.yaml").read_text())
    patch = yaml.safe_load((DATA / f"{case}.patch.yaml").read_text())
    want = yaml.safe_load((DATA / f"{case}.output.yaml").read_text())
    got = apply_patch(
        obj, patch, content_type="application/strategic-merge-patch+json", gvk=_gvk(obj)
    )
    assert got == want


def test_golden_cases_are_present():
    assert len(CASES) >= 4
