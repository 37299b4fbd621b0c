"""The model: a multinomial logistic regression stored as plain JSON, evaluated by hand.

Parsing (``parse_model``) and prediction (``predict``) are pure; ``read_model`` is the only
function here that touches the file system. The file format (``format: 1``) is what
``train.py`` writes: feature and class names, one weight row and one intercept per class.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import ModelError


@dataclass(frozen=True)
class Model:
    """A loaded model: p(class | x) = softmax(coef @ x + intercept)."""

    name: str
    model_version: str
    format: int
    features: tuple[str, ...]
    classes: tuple[str, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]


def read_model(path: Path, *, shown_as: str) -> Model:
    """Read and parse the model file; any failure becomes one ``ModelError`` sentence."""
    where = shown_as if str(path) == shown_as else f"{shown_as} ({path})"
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ModelError(
            f"MODEL_PATH={where} is a directory; point it at the model file inside, "
            "e.g. models/iris-logreg.json"
        ) from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise ModelError(
            f"cannot read the model at MODEL_PATH={where}: {reason}; "
            "check the path (it is relative to the working directory) and the file's permissions"
        ) from None
    except UnicodeDecodeError:
        raise ModelError(f"MODEL_PATH={where} is not a text (JSON) model file") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(
            f"MODEL_PATH={where} is not valid JSON (line {exc.lineno}: {exc.msg})"
        ) from None
    return parse_model(doc, source=where)


def parse_model(doc: Any, *, source: str) -> Model:
    """Check the JSON document's shape and build a ``Model``; raise ``ModelError`` if wrong."""

    def bad(what: str) -> ModelError:
        return ModelError(f"MODEL_PATH={source} is not a usable model: {what}")

    if not isinstance(doc, dict):
        raise bad("the top level must be a JSON object")
    fmt = doc.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool):
        raise bad("'format' must be an integer")
    features: Any = doc.get("features")
    classes: Any = doc.get("classes")
    if not _strings(features) or not _strings(classes):
        raise bad("'features' and 'classes' must be non-empty lists of names")
    coef: Any = doc.get("coef")
    intercept: Any = doc.get("intercept")
    if not isinstance(coef, list) or len(coef) != len(classes):
        raise bad(f"'coef' must hold one row per class ({len(classes)} rows)")
    if not all(_numbers(row) and len(row) == len(features) for row in coef):
        raise bad(f"every 'coef' row must hold {len(features)} numbers, one per feature")
    if not _numbers(intercept) or len(intercept) != len(classes):
        raise bad(f"'intercept' must hold {len(classes)} numbers, one per class")
    return Model(
        name=str(doc.get("name", "model")),
        model_version=str(doc.get("model_version", "unknown")),
        format=fmt,
        features=tuple(features),
        classes=tuple(classes),
        coef=tuple(tuple(float(w) for w in row) for row in coef),
        intercept=tuple(float(b) for b in intercept),
    )


def predict_proba(model: Model, x: Sequence[float]) -> list[float]:
    """Class probabilities for one feature vector (numerically stable softmax)."""
    scores = [
        sum(w * v for w, v in zip(row, x, strict=True)) + b
        for row, b in zip(model.coef, model.intercept, strict=True)
    ]
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def predict(model: Model, instances: Sequence[Sequence[float]]) -> list[dict[str, Any]]:
    """One ``{"class", "probabilities"}`` answer per instance, in request order."""
    answers = []
    for x in instances:
        probs = predict_proba(model, x)
        best = max(range(len(probs)), key=probs.__getitem__)
        answers.append(
            {
                "class": model.classes[best],
                "probabilities": {
                    c: round(p, 6) for c, p in zip(model.classes, probs, strict=True)
                },
            }
        )
    return answers


def _strings(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _numbers(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
