"""Which release can serve which model format: 2.5.0 is the broken one, on purpose."""

from __future__ import annotations

from dataclasses import replace

import pytest

from inference import Model, readiness_defect, required_model_format

MODEL = Model(
    name="iris-logreg",
    model_version="1.0.0",
    format=1,
    features=("a",),
    classes=("x", "y"),
    coef=((1.0,), (2.0,)),
    intercept=(0.0, 0.0),
)


@pytest.mark.parametrize(
    "version, fmt",
    [
        pytest.param("2.4.0", 1, id="good-release"),
        pytest.param("2.5.0", 2, id="defective-release"),
        pytest.param("2.5.1", 1, id="later-release"),
        pytest.param("dev", 1, id="unknown-tag"),
    ],
)
def test_required_model_format_per_version(version: str, fmt: int) -> None:
    assert required_model_format(version) == fmt


def test_2_4_0_has_no_defect_with_the_shipped_model() -> None:
    assert readiness_defect("2.4.0", MODEL, shown_as="models/iris-logreg.json") is None


def test_2_5_0_explains_why_readiness_stays_false() -> None:
    why = readiness_defect("2.5.0", MODEL, shown_as="models/iris-logreg.json")
    assert why is not None
    assert "requires model format 2, but models/iris-logreg.json is format 1" in why
    assert "readiness will stay false" in why


def test_2_5_0_would_serve_a_format_2_model() -> None:
    assert readiness_defect("2.5.0", replace(MODEL, format=2), shown_as="m.json") is None
