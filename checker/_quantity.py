"""Kubernetes resource quantities as exact numbers, so `4096Mi == 4Gi` and `500m == 0.5`.

The grammar is the API's `resource.Quantity`: a signed decimal number, optionally with an
exponent (`1e3`), followed by a binary suffix (Ki..Ei), a decimal suffix (n, u, m, k, M, G,
T, P, E) or nothing. Values become `Fraction`s so no comparison is lost to float rounding.
"""

from __future__ import annotations

import re
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<exp>[eE][+-]?\d+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$"
)


def parse_quantity(value: object) -> Fraction | None:
    """The exact value of a quantity (str, int or float), or None if it is not one.

    Booleans are never quantities, although Python counts them as ints.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if not match:
        return None
    number = Fraction(match["number"])
    if match["exp"]:
        return number * Fraction(10) ** int(match["exp"][1:])
    suffix = match["suffix"] or ""
    return number * (_BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix])


def _has_unit(value: object) -> bool:
    """A string written with a suffix or an exponent: unmistakably a quantity."""
    match = _QUANTITY.match(value.strip()) if isinstance(value, str) else None
    return bool(match and (match["suffix"] or match["exp"]))


def quantities_equal(expected: object, actual: object) -> bool:
    """True when the two sides are the same quantity written differently.

    Value comparison needs a reason to believe a quantity is meant: a unit or exponent on
    either side (`"4Gi"` vs `"4096Mi"`, `"1"` vs `"1000m"`), or a YAML number against a
    string (`cpu: 1` vs `"1"`). Two plain decimal strings compare as text, so a version
    `"1.10"` is not `"1.1"`, nor an image tag `"2"` the tag `"2.0"`.
    """
    one_is_string = isinstance(expected, str) or isinstance(actual, str)
    both_strings = isinstance(expected, str) and isinstance(actual, str)
    if not one_is_string or (both_strings and not (_has_unit(expected) or _has_unit(actual))):
        return False
    a, b = parse_quantity(expected), parse_quantity(actual)
    return a is not None and b is not None and a == b
