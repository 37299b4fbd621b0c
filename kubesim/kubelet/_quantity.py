"""The two quantity conversions the kubelet needs, on top of kubesim's one quantity parser."""

from __future__ import annotations

import math

from kubesim.core.quantity import parse


def cpu_millis(value: object) -> int:
    return math.ceil(parse(value if isinstance(value, int | float) else str(value)).value * 1000)


def memory_bytes(value: object) -> int:
    return math.ceil(parse(value if isinstance(value, int | float) else str(value)).value)
