"""Turn a /predict body into feature vectors, or say precisely what is wrong with it.

Accepted shapes (pure parsing, no I/O):
  {"instances": [[5.1, 3.5, 1.4, 0.2], ...]}            rows in the model's feature order
  {"instances": [{"sepal_length": 5.1, ...}, ...]}      rows by feature name
  {"features": {"sepal_length": 5.1, ...}}              a single row by feature name
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from ._errors import BadRequest

MAX_INSTANCES = 100
MAX_BODY_BYTES = 1 << 20


def parse_predict_body(raw: bytes, *, features: Sequence[str]) -> list[list[float]]:
    """Return one list of floats per instance; raise ``BadRequest`` with a fix otherwise."""
    example = '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON ({exc}); send e.g. {example}") from None
    if isinstance(doc, dict) and "instances" in doc:
        rows = doc["instances"]
        if not isinstance(rows, list) or not rows:
            raise BadRequest(f"'instances' must be a non-empty list of rows, e.g. {example}")
        if len(rows) > MAX_INSTANCES:
            raise BadRequest(
                f"'instances' holds {len(rows)} rows; send at most {MAX_INSTANCES} per request"
            )
        return [_row(row, features, where=f"instances[{i}]") for i, row in enumerate(rows)]
    if isinstance(doc, dict) and "features" in doc:
        return [_row(doc["features"], features, where="features", allow_list=False)]
    raise BadRequest(
        "the body must be a JSON object with 'instances' (a list of rows) or 'features' "
        f"(one object of named values), e.g. {example}"
    )


def _row(row: Any, features: Sequence[str], *, where: str, allow_list: bool = True) -> list[float]:
    names = ", ".join(features)
    if isinstance(row, dict):
        missing = [f for f in features if f not in row]
        unknown = sorted(set(row) - set(features))
        if missing or unknown:
            parts = [f"missing {', '.join(missing)}"] * bool(missing)
            parts += [f"unknown {', '.join(unknown)}"] * bool(unknown)
            raise BadRequest(f"{where}: {'; '.join(parts)}; expected exactly: {names}")
        values = [row[f] for f in features]
    elif allow_list and isinstance(row, list):
        if len(row) != len(features):
            raise BadRequest(
                f"{where} has {len(row)} values; the model needs {len(features)} ({names})"
            )
        values = row
    else:
        shape = "a list of numbers or an object" if allow_list else "an object"
        raise BadRequest(f"{where} must be {shape} with {names}")
    for name, value in zip(features, values, strict=True):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadRequest(f"{where}: {name} must be a number, got {json.dumps(value)}")
        if not math.isfinite(value):
            raise BadRequest(f"{where}: {name} must be a finite number")
    return [float(v) for v in values]
