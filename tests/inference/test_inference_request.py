"""Parsing /predict bodies: every accepted shape, and a useful 400 for each wrong one."""

from __future__ import annotations

import json

import pytest

from inference import BadRequest, parse_predict_body

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
NAMED = dict(zip(FEATURES, [5.1, 3.5, 1.4, 0.2], strict=True))


@pytest.mark.parametrize(
    "doc, want",
    [
        pytest.param({"instances": [[5.1, 3.5, 1.4, 0.2]]}, [[5.1, 3.5, 1.4, 0.2]], id="rows"),
        pytest.param(
            {"instances": [[1, 2, 3, 4], [4, 3, 2, 1]]},
            [[1, 2, 3, 4], [4, 3, 2, 1]],
            id="two-int-rows",
        ),
        pytest.param({"instances": [NAMED]}, [[5.1, 3.5, 1.4, 0.2]], id="named-rows"),
        pytest.param({"features": NAMED}, [[5.1, 3.5, 1.4, 0.2]], id="features-object"),
        pytest.param(
            {"features": dict(reversed(NAMED.items()))},
            [[5.1, 3.5, 1.4, 0.2]],
            id="features-any-key-order",
        ),
    ],
)
def test_accepted_bodies_become_rows_in_feature_order(doc: object, want: list[list[float]]) -> None:
    assert parse_predict_body(json.dumps(doc).encode(), features=FEATURES) == want


@pytest.mark.parametrize(
    "raw, fragment",
    [
        pytest.param(b"{nope", "not valid JSON", id="bad-json"),
        pytest.param(b"\xff\xfe", "not valid JSON", id="not-utf8"),
        pytest.param(b"[1, 2]", "must be a JSON object with 'instances'", id="list-body"),
        pytest.param(b'{"rows": []}', "'instances' (a list of rows)", id="unknown-key"),
        pytest.param(b'{"instances": []}', "non-empty list", id="no-rows"),
        pytest.param(
            b'{"instances": [[1, 2, 3]]}', "has 3 values; the model needs 4", id="short-row"
        ),
        pytest.param(
            b'{"instances": [[1, 2, 3, "4"]]}',
            'petal_width must be a number, got "4"',
            id="string-value",
        ),
        pytest.param(
            b'{"instances": [[1, 2, 3, true]]}', "must be a number, got true", id="bool-value"
        ),
        pytest.param(
            b'{"instances": [[1, 2, 3, 1e999]]}', "must be a finite number", id="infinite"
        ),
        pytest.param(b'{"features": {"sepal_length": 1}}', "missing sepal_width", id="missing"),
        pytest.param(
            json.dumps({"features": {**NAMED, "colour": 1}}).encode(),
            "unknown colour",
            id="unknown-feature",
        ),
        pytest.param(b'{"features": [1, 2, 3, 4]}', "features must be an object", id="feat-list"),
        pytest.param(
            json.dumps({"instances": [[1, 2, 3, 4]] * 101}).encode(),
            "at most 100",
            id="too-many-rows",
        ),
    ],
)
def test_wrong_bodies_raise_bad_request_naming_the_problem(raw: bytes, fragment: str) -> None:
    with pytest.raises(BadRequest) as err:
        parse_predict_body(raw, features=FEATURES)
    assert fragment in str(err.value)
    assert err.value.status == 400
