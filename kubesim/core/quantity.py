"""Resource quantities: parse, compare, and print in canonical form, as resource.Quantity does.

The API server re-serialises every quantity canonically (`0.5` is stored as `500m`,
`1024Mi` as `1Gi`), and a learner sees those forms in `kubectl get -o yaml` and in error
messages (`must be less than or equal to cpu limit of 500m`), so both parsing and printing
follow apimachinery/pkg/api/resource closely enough for every value a course writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

QUANTITY_REGEX = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
QUANTITY_ERROR = f"quantities must match the regular expression '{QUANTITY_REGEX}'"

_RE = re.compile(QUANTITY_REGEX)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {v: k for k, v in _DECIMAL.items()}


class QuantityError(ValueError):
    """The text does not parse as a quantity; str() is the apiserver's message."""


@dataclass(frozen=True)
class Quantity:
    value: Fraction
    format: str  # "BinarySI" | "DecimalSI" | "DecimalExponent"

    def __str__(self) -> str:
        return canonical(self)


def parse(raw: str | int | float) -> Quantity:
    if isinstance(raw, bool):
        raise QuantityError(QUANTITY_ERROR)
    if isinstance(raw, int | float):
        return Quantity(Fraction(str(raw)), "DecimalSI")
    m = _RE.match(raw.strip()) if isinstance(raw, str) else None
    if not m or raw != raw.strip():
        raise QuantityError(QUANTITY_ERROR)
    number, suffix = m.group(1), m.group(2)
    if number.count(".") > 1 or number in ("+", "-", ".", "+.", "-."):
        raise QuantityError(QUANTITY_ERROR)
    try:
        base = Fraction(number)
    except (ValueError, ZeroDivisionError) as exc:
        raise QuantityError(QUANTITY_ERROR) from exc
    if suffix in _BINARY:
        return Quantity(base * (2 ** _BINARY[suffix]), "BinarySI")
    if suffix in _DECIMAL:
        return Quantity(base * Fraction(10) ** _DECIMAL[suffix], "DecimalSI")
    em = re.fullmatch(r"[eE]([-+]?[0-9]+)", suffix)
    if em:
        return Quantity(base * Fraction(10) ** int(em.group(1)), "DecimalExponent")
    raise QuantityError(QUANTITY_ERROR)


def parse_or_none(raw: object) -> Quantity | None:
    """`raw` parsed, or None when it is not a quantity (validation reports those)."""
    try:
        return parse(raw)  # type: ignore[arg-type]
    except (QuantityError, TypeError, AttributeError):
        return None


def is_quantity(raw: object) -> bool:
    try:
        parse(raw)  # type: ignore[arg-type]
    except QuantityError:
        return False
    return True


def round_up(q: Quantity, *, scale: int) -> Quantity:
    """Round up to 10**scale (the server rounds resource lists to milli units)."""
    step = Fraction(10) ** scale
    units = q.value / step
    whole = -((-units.numerator) // units.denominator)
    return Quantity(whole * step, q.format)


def canonical(q: Quantity) -> str:
    """Quantity.String(): the largest exact suffix; small or fractional binary goes decimal."""
    value = round_up(q, scale=-9).value  # quantities carry at most nano precision
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    value = abs(value)
    fmt = q.format
    if fmt == "BinarySI" and (value < 1024 or value.denominator != 1):
        fmt = "DecimalSI"
    if fmt == "BinarySI":
        n = int(value)
        exp = 0
        while exp < 60 and n % 1024 == 0:
            n //= 1024
            exp += 10
        suffix = {v: k for k, v in _BINARY.items()}.get(exp, "")
        return f"{sign}{n}{suffix}"
    exp = -9
    mantissa = value * Fraction(10) ** 9
    while exp < 18 and mantissa.denominator == 1 and mantissa.numerator % 1000 == 0:
        mantissa /= 1000
        exp += 3
    n = int(mantissa)
    if fmt == "DecimalExponent":
        return f"{sign}{n}" + (f"e{exp}" if exp else "")
    return f"{sign}{n}{_DECIMAL_SUFFIX[exp]}"
