"""The two quantity conversions the kubelet needs: CPU to millicores, memory to bytes."""

from __future__ import annotations

from decimal import Decimal

_SUFFIX = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}


def parse(value: object) -> Decimal:
    text = str(value).strip()
    for suffix in sorted(_SUFFIX, key=len, reverse=True):
        if (
            text.endswith(suffix)
            and text[: -len(suffix)].replace(".", "", 1).lstrip("+-").isdigit()
        ):
            return Decimal(text[: -len(suffix)]) * Decimal(_SUFFIX[suffix])
    return Decimal(text)


def cpu_millis(value: object) -> int:
    return int((parse(value) * 1000).to_integral_value(rounding="ROUND_CEILING"))


def memory_bytes(value: object) -> int:
    return int(parse(value).to_integral_value(rounding="ROUND_CEILING"))
