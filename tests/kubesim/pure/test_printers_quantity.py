"""Quantities print in canonical form, as `resource.Quantity.String()` does."""

from __future__ import annotations

import pytest

from kubesim.core.quantity_print import canonical


@pytest.mark.parametrize(
    "given, want",
    [
        pytest.param("1Gi", "1Gi", id="binary-kept"),
        pytest.param("1024Mi", "1Gi", id="binary-promoted"),
        pytest.param("1.5Gi", "1536Mi", id="binary-fraction-demoted-suffix"),
        pytest.param("512Mi", "512Mi", id="binary-512"),
        pytest.param("100Ki", "100Ki", id="binary-ki"),
        pytest.param("0.5Ki", "512", id="binary-below-1024-becomes-decimal"),
        pytest.param("500m", "500m", id="milli"),
        pytest.param("0.5", "500m", id="half-core"),
        pytest.param("1000m", "1", id="milli-to-one"),
        pytest.param("1000", "1k", id="thousand-is-k"),
        pytest.param("1500", "1500", id="no-integer-at-k"),
        pytest.param("2", "2", id="plain"),
        pytest.param("1G", "1G", id="decimal-g"),
        pytest.param("1e3", "1e3", id="exponent"),
        pytest.param("1.5e3", "1500", id="exponent-fraction"),
        pytest.param("0", "0", id="zero"),
        pytest.param(None, "0", id="missing-is-go-zero"),
        pytest.param(3, "3", id="int"),
        pytest.param("0.0000000001", "1n", id="rounded-up-to-nano"),
        pytest.param("garbage", "garbage", id="unparseable-kept"),
    ],
)
def test_quantities_print_canonically(given: object, want: str) -> None:
    assert canonical(given) == want
