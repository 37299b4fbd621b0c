"""The shipped model file: its shape, its probabilities, and its real accuracy."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from inference import ModelError, parse_model, predict, predict_proba, read_model

MODELS = Path(__file__).resolve().parents[2] / "inference" / "models"
GOOD: dict[str, Any] = json.loads((MODELS / "iris-logreg.json").read_text())


def test_shipped_model_is_format_1_with_iris_names() -> None:
    model = read_model(MODELS / "iris-logreg.json", shown_as="models/iris-logreg.json")
    assert model.format == 1
    assert model.features == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert model.classes == ("setosa", "versicolor", "virginica")


def test_shipped_model_reaches_its_recorded_accuracy_on_held_out_rows() -> None:
    model = parse_model(GOOD, source="test")
    evaluation = json.loads((MODELS / "iris-eval.json").read_text())
    answers = predict(model, evaluation["instances"])
    hits = sum(a["class"] == y for a, y in zip(answers, evaluation["labels"], strict=True))
    accuracy = hits / len(evaluation["labels"])
    assert len(evaluation["labels"]) >= 30
    assert accuracy == pytest.approx(evaluation["expected_accuracy"], abs=1e-3)
    assert accuracy >= 0.9


@pytest.mark.parametrize(
    "row",
    [
        pytest.param([5.1, 3.5, 1.4, 0.2], id="setosa-like"),
        pytest.param([1e6, -1e6, 1e6, 1e6], id="huge-values-do-not-overflow"),
    ],
)
def test_probabilities_are_a_distribution(row: list[float]) -> None:
    probs = predict_proba(parse_model(GOOD, source="test"), row)
    assert math.isclose(sum(probs), 1.0, rel_tol=1e-9)
    assert all(0.0 <= p <= 1.0 for p in probs)


def _with(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


@pytest.mark.parametrize(
    "doc, fragment",
    [
        pytest.param([], "top level must be a JSON object", id="not-an-object"),
        pytest.param(_with(format="1"), "'format' must be an integer", id="format-string"),
        pytest.param(_with(features=[]), "non-empty lists of names", id="no-features"),
        pytest.param(_with(coef=GOOD["coef"][:2]), "one row per class", id="missing-row"),
        pytest.param(_with(coef=[[1, 2]] * 3), "must hold 4 numbers", id="short-row"),
        pytest.param(_with(intercept=[0, "x", 0]), "'intercept' must hold 3", id="bad-intercept"),
    ],
)
def test_malformed_model_documents_are_refused_with_the_reason(doc: Any, fragment: str) -> None:
    with pytest.raises(ModelError, match="is not a usable model") as err:
        parse_model(doc, source="models/x.json")
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "content, fragment",
    [
        pytest.param(None, "no such file or directory", id="missing"),
        pytest.param("{not json", "is not valid JSON (line 1", id="invalid-json"),
        pytest.param("dir", "is a directory", id="directory"),
    ],
)
def test_unreadable_model_files_raise_one_clear_sentence(
    tmp_path: Path, content: str | None, fragment: str
) -> None:
    path = tmp_path / "model.json"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ModelError) as err:
        read_model(path, shown_as="model.json")
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)
