"""Resource quantities in their canonical form, as `resource.Quantity.String()` prints them.

The printers show capacities and quota usage the way the server re-serialises them, not
the way they were written: `1024Mi` prints as `1Gi`, `0.5` as `500m`, `1000` as `1k`,
`1.5Gi` as `1536Mi`. The rules are apimachinery's `CanonicalizeBytes`: keep the suffix
family the value was written in (binary, decimal SI or exponent), fall back to decimal SI
for binary values below 1024 or with a fraction, round up to nano precision, and pick the
largest suffix that leaves an integer.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {exp: suffix for suffix, exp in _DECIMAL.items()}
_BINARY_SUFFIX = {bits // 10: suffix for suffix, bits in _BINARY.items()}
_NUMBER = re.compile(r"^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(.*)$")
_EXPONENT = re.compile(r"^[eE]([+-]?[0-9]+)$")


def _parse(text: str) -> tuple[Fraction, str] | None:
    match = _NUMBER.match(text.strip())
    if not match:
        return None
    number, suffix = Fraction(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * 2 ** _BINARY[suffix], "BinarySI"
    if suffix in _DECIMAL:
        return number * Fraction(10) ** _DECIMAL[suffix], "DecimalSI"
    exp = _EXPONENT.match(suffix)
    if exp:
        return number * Fraction(10) ** int(exp.group(1)), "DecimalExponent"
    return None


def _round_up_to_nano(value: Fraction) -> Fraction:
    scaled = value * 10**9
    return Fraction(math.ceil(scaled), 10**9)


def _decimal(value: Fraction, fmt: str) -> str:
    nanos = int(value * 10**9)
    sign = "-" if nanos < 0 else ""
    mantissa, exponent = abs(nanos), -9
    while mantissa % 10 == 0 and mantissa:
        mantissa //= 10
        exponent += 1
    shift = exponent % 3
    mantissa *= 10**shift
    exponent -= shift
    if fmt == "DecimalExponent":
        return f"{sign}{mantissa}" + (f"e{exponent}" if exponent else "")
    while exponent > 18:
        mantissa *= 1000
        exponent -= 3
    return f"{sign}{mantissa}{_DECIMAL_SUFFIX[exponent]}"


def _binary(value: int) -> str:
    sign = "-" if value < 0 else ""
    amount, power = abs(value), 0
    while amount % 1024 == 0 and power < 6:
        amount //= 1024
        power += 1
    return f"{sign}{amount}{_BINARY_SUFFIX.get(power, '')}"


def canonical(quantity: object) -> str:
    """The canonical string of a quantity; `0` for an absent one, as Go's zero Quantity.

    An unparseable value is returned unchanged (the real server would have rejected it).
    """
    if quantity is None or quantity == "":
        return "0"
    if isinstance(quantity, bool):
        return str(quantity)
    if isinstance(quantity, int | float):
        parsed: tuple[Fraction, str] | None = (Fraction(str(quantity)), "DecimalSI")
    else:
        parsed = _parse(str(quantity))
    if parsed is None:
        return str(quantity)
    value, fmt = parsed
    value = _round_up_to_nano(value)
    if value == 0:
        return "0"
    if fmt == "BinarySI" and (-1024 < value < 1024 or value.denominator != 1):
        fmt = "DecimalSI"
    if fmt == "BinarySI":
        return _binary(int(value))
    return _decimal(value, fmt)
