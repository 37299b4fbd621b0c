"""`kubelab break --mystery`: a few of a lab's defects, applied without saying which.

A lab marks the faults that may be chosen with `mystery: true` (14-capstone's readiness
defects). The choice is a pure function of the pool, a seed and a count, so the same seed
breaks the same things (an instructor can give a class one seed; a test can know the answer).
`break` remembers the break in `<lab_home>/mystery.json` (lab, seed, count, when, and an
optional budget in minutes; not the faults, so that a look at the file does not give the
answer away); `kubelab check LAB` reads it and says how long the learner has been at it
against the budget, and names the faults (chosen again from the seed) only once every
check passes.
`kubelab reset LAB` forgets it.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import checker

DEFAULT_COUNT = 3
FILE = "mystery.json"


@dataclass(frozen=True)
class Mystery:
    """One mystery break: what was chosen, from what, and when."""

    lab: str
    seed: int
    count: int
    started: str  # ISO 8601, UTC
    minutes: int | None = None


def pool(lab: checker.Lab) -> list[str]:
    """The lab's faults that a mystery break may choose, in lab order."""
    return [name for name, fault in lab.faults.items() if fault.mystery]


def choose(names: list[str], *, seed: int, count: int) -> list[str]:
    """`count` of `names` (all of them when there are fewer), the same for the same seed,
    in the pool's order."""
    picked = set(random.Random(seed).sample(sorted(names), min(count, len(names))))
    return [name for name in names if name in picked]


def path(home: Path) -> Path:
    return home / FILE


def remember(home: Path, mystery: Mystery) -> None:
    home.mkdir(parents=True, exist_ok=True)
    path(home).write_text(json.dumps(asdict(mystery), indent=2) + "\n")


def recall(home: Path, lab_id: str) -> Mystery | None:
    """The mystery break of `lab_id`, if one is remembered (a damaged file counts as none)."""
    try:
        data = json.loads(path(home).read_text())
        found = Mystery(**data)
    except (OSError, ValueError, TypeError):
        return None
    return found if found.lab == lab_id else None


def forget(home: Path, lab_id: str) -> None:
    if recall(home, lab_id) is not None:
        path(home).unlink(missing_ok=True)


def _minutes(seconds: float) -> str:
    whole = int(seconds // 60)
    return f"{whole} min {int(seconds - whole * 60)} s"


def status_line(mystery: Mystery, *, names: list[str], now: datetime, passed: bool) -> str:
    """What `kubelab check` says about a remembered mystery break."""
    elapsed = max(0.0, (now - datetime.fromisoformat(mystery.started)).total_seconds())
    line = f"Mystery break of {mystery.lab} (seed {mystery.seed}): {_minutes(elapsed)} since it."
    if mystery.minutes is not None:
        budget = mystery.minutes * 60
        if elapsed <= budget:
            line += f" Budget {mystery.minutes} min: within it ({_minutes(budget - elapsed)} left)."
        else:
            line += f" Budget {mystery.minutes} min: over it by {_minutes(elapsed - budget)}."
    if passed:
        chosen = choose(names, seed=mystery.seed, count=mystery.count)
        line += f" Every check passes. It had broken: {', '.join(chosen)}."
    return line


def now() -> datetime:
    return datetime.now(UTC)
