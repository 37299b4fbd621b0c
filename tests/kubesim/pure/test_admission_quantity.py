"""Quantity parsing and canonical printing, as resource.Quantity.String() prints them."""

from __future__ import annotations

import pytest

from kubesim.core.quantity import QUANTITY_ERROR, QuantityError, canonical, parse


@pytest.mark.parametrize(
    "raw, text",
    [
        pytest.param("128974848", "128974848", id="plain-bytes"),
        pytest.param("129e6", "129e6", id="exponent"),
        pytest.param("129M", "129M", id="decimal-si"),
        pytest.param("123Mi", "123Mi", id="binary-si"),
        pytest.param("1000m", "1", id="milli-to-one"),
        pytest.param("1500m", "1500m", id="milli-kept"),
        pytest.param("2000", "2k", id="kilo"),
        pytest.param("0.5Ki", "512", id="small-binary-goes-decimal"),
        pytest.param("0", "0", id="zero"),
        pytest.param("-1", "-1", id="negative"),
    ],
)
def test_canonical_form(raw: str, text: str) -> None:
    assert canonical(parse(raw)) == text


@pytest.mark.parametrize("raw", ["1x", "abc", "", "1.2.3", "--1", " 1", "1 Gi"])
def test_bad_quantities_raise_the_apiserver_message(raw: str) -> None:
    with pytest.raises(QuantityError) as err:
        parse(raw)
    assert str(err.value) == QUANTITY_ERROR
    assert QUANTITY_ERROR.startswith(
        "quantities must match the regular expression '^([+-]?[0-9.]+)"
    )


@pytest.mark.parametrize("a, b", [("4096Mi", "4Gi"), ("500m", "0.5"), ("1k", "1000")])
def test_equal_values_compare_equal(a: str, b: str) -> None:
    assert parse(a).value == parse(b).value
