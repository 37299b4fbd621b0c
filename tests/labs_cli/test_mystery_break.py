"""`kubelab break --mystery`: a seeded choice of a lab's `mystery: true` faults, applied
without naming them, remembered for `kubelab check`'s clock and forgotten by `reset`
(docs/faults.md), on the fake machine with a lab of its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from _cli_fakes import FakeHost

from kubelab import _mystery
from kubelab.cli import main

POOL = ["drop-a", "drop-b", "drop-c", "drop-d", "drop-e"]

LAB = {
    "apiVersion": "kubelab.dev/v1",
    "kind": "Lab",
    "id": "09-audit",
    "title": "An audit",
    "minutes": 5,
    "namespace": "lab-09",
    "faults": {
        **{
            name: {
                "mystery": True,
                "description": f"SPOILER {name}",
                "steps": [{"kubectl": f"delete configmap {name}"}],
            }
            for name in POOL
        },
        "named-only": {"description": "never a mystery", "steps": [{"kubectl": "delete pod x"}]},
    },
    "exercises": [
        {
            "id": "audit",
            "title": "Audit",
            "task": "Fix it.",
            "points": 5,
            "checks": [
                {
                    "name": "cm",
                    "message": "The ConfigMap is there.",
                    "expect": {"apiVersion": "v1", "kind": "ConfigMap"},
                }
            ],
            "hints": ["look"],
            "solution": [{"kubectl": "create configmap drop-a"}],
        }
    ],
}


@pytest.fixture
def audit_labs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture labs plus one lab with a mystery pool."""
    root = tmp_path / "labs"
    (root / "09-audit").mkdir(parents=True)
    (root / "09-audit" / "lab.yaml").write_text(yaml.safe_dump(LAB, sort_keys=False))
    monkeypatch.setenv("KUBELAB_LABS", str(root))
    return root


@pytest.mark.parametrize(
    "seed, count",
    [pytest.param(1, 3, id="three"), pytest.param(99, 1, id="one"), pytest.param(5, 9, id="all")],
)
def test_the_same_seed_chooses_the_same_faults_in_pool_order(seed, count):
    chosen = _mystery.choose(POOL, seed=seed, count=count)
    assert chosen == _mystery.choose(list(POOL), seed=seed, count=count)
    assert len(chosen) == min(count, len(POOL))
    assert chosen == [name for name in POOL if name in chosen]


def test_different_seeds_do_not_all_choose_alike():
    assert len({tuple(_mystery.choose(POOL, seed=s, count=2)) for s in range(20)}) > 1


def test_mystery_break_runs_the_chosen_faults_and_names_none(
    host: FakeHost, kind_cluster, audit_labs, lab_home, capsys
):
    assert main(["break", "--mystery", "--seed", "4", "--count", "2", "--minutes", "15"]) == 0

    chosen = _mystery.choose(POOL, seed=4, count=2)
    assert host.lines() == [f"kubectl delete configmap {name} -n lab-09" for name in chosen]
    out = capsys.readouterr().out
    for name in [*POOL, "SPOILER", "delete configmap"]:
        assert name not in out
    assert "Breaking lab 09-audit: a mystery (seed 4)." in out
    assert "2 of the lab's 5 possible defects" in out
    assert "You have 15 minutes" in out
    saved = json.loads((lab_home / "mystery.json").read_text())
    assert saved["lab"] == "09-audit" and saved["seed"] == 4 and saved["minutes"] == 15
    assert not any(name in json.dumps(saved) for name in POOL)  # the file is no answer key


@pytest.mark.parametrize(
    "argv, words",
    [
        pytest.param(["break", "--mystery", "drop-a"], "leave out 'drop-a'", id="name-too"),
        pytest.param(["break"], "Say which fault to apply", id="nothing"),
        pytest.param(["break", "drop-a", "--seed", "3"], "go with --mystery only", id="seed"),
        pytest.param(
            ["break", "--mystery", "--lab", "01-fixture"],
            "Lab 01-fixture has no mystery faults",
            id="no-pool",
        ),
    ],
)
def test_mystery_break_refuses_what_does_not_fit(
    host: FakeHost, kind_cluster, audit_labs, capsys, argv, words
):
    (audit_labs / "01-fixture").symlink_to(Path(__file__).parent / "data" / "labs" / "01-fixture")
    assert main(argv) == 2
    assert words in " ".join(capsys.readouterr().err.split())
    assert host.lines() == []


def _started(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")


NOW = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "minutes_ago, budget, passed, words",
    [
        pytest.param(3, 15, False, "3 min 0 s since it. Budget 15 min: within it (12 min", id="in"),
        pytest.param(20, 15, False, "Budget 15 min: over it by 5 min 0 s.", id="over"),
        pytest.param(2, None, False, "2 min 0 s since it.", id="no-budget"),
        pytest.param(1, None, True, "Every check passes. It had broken: ", id="solved"),
    ],
)
def test_check_reports_the_clock_and_names_the_faults_only_when_solved(
    minutes_ago, budget, passed, words
):
    mystery = _mystery.Mystery(
        lab="09-audit", seed=4, count=2, started=_started(minutes_ago), minutes=budget
    )
    line = _mystery.status_line(mystery, names=POOL, now=NOW, passed=passed)
    assert words in line
    named = [name for name in POOL if name in line]
    assert named == (_mystery.choose(POOL, seed=4, count=2) if passed else [])


def test_reset_forgets_the_mystery_of_its_lab_only(lab_home):
    mystery = _mystery.Mystery(lab="09-audit", seed=1, count=3, started=_started(1))
    _mystery.remember(lab_home, mystery)
    _mystery.forget(lab_home, "01-fixture")
    assert _mystery.recall(lab_home, "09-audit") == mystery
    _mystery.forget(lab_home, "09-audit")
    assert _mystery.recall(lab_home, "09-audit") is None
