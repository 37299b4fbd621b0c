"""The expect-tree matcher: partial maps, unordered subset lists, quantities, JMESPath keys."""

from __future__ import annotations

from typing import Any

import pytest

from checker import parse_expectation, parse_quantity
from checker._match import diff

DEPLOY = {
    "spec": {
        "replicas": 2,
        "template": {
            "spec": {
                "containers": [
                    {"name": "sidecar", "image": "busybox"},
                    {"name": "inference", "resources": {"limits": {"memory": "4096Mi"}}},
                ]
            }
        },
    },
    "status": {
        "conditions": [
            {"type": "Progressing", "status": "True"},
            {"type": "Available", "status": "False"},
        ]
    },
}


def errors(expect: Any, actual: Any) -> list[str]:
    return [str(e) for e in parse_expectation(expect).match(actual, "")]


@pytest.mark.parametrize(
    "expect, actual, messages",
    [
        pytest.param(
            {"spec": {"replicas": 2}}, DEPLOY, [], id="partial-map-ignores-unwritten-keys"
        ),
        pytest.param(
            {"spec": {"replicas": 3}},
            DEPLOY,
            ["spec.replicas: Invalid value: 2: Expected value: 3"],
            id="scalar-mismatch",
        ),
        pytest.param(
            {"spec": {"paused": True}},
            DEPLOY,
            ["spec.paused: Required value: field not found"],
            id="missing-field",
        ),
        pytest.param(
            {
                "spec": {
                    "template": {
                        "spec": {"containers": [{"name": "sidecar"}, {"name": "inference"}]}
                    }
                }
            },
            {
                "spec": {
                    "template": {
                        "spec": {"containers": [{"name": "inference"}, {"name": "sidecar"}]}
                    }
                }
            },
            [],
            id="list-subset-any-order",
        ),
        pytest.param(
            {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [{"name": "inference", "resources": {"requests": {}}}]
                        }
                    }
                }
            },
            DEPLOY,
            [
                "spec.template.spec.containers[name=inference].resources.requests: "
                "Required value: field not found"
            ],
            id="list-item-reports-its-closest-candidate-by-name",
        ),
        pytest.param(
            {"status": {"conditions": [{"type": "Available", "status": "True"}]}},
            DEPLOY,
            ['status.conditions[1].status: Invalid value: "False": Expected value: "True"'],
            id="condition-closest-by-type-not-position",
        ),
        pytest.param(
            {"status": {"conditions": [{"type": "Progressing", "status": "True"}]}},
            DEPLOY,
            [],
            id="condition-present",
        ),
        pytest.param(
            {"items": [{"a": 1}, {"a": 1}]},
            {"items": [{"a": 1, "b": 2}]},
            ['items: Required value: no distinct item matches {"a": 1}'],
            id="each-expected-item-needs-a-distinct-actual-item",
        ),
        pytest.param(
            {"items": [{"a": 1}]},
            {"items": []},
            ['items: Required value: no distinct item matches {"a": 1}'],
            id="empty-actual-list",
        ),
        pytest.param({"mem": "4Gi"}, {"mem": "4096Mi"}, [], id="quantity-gi-vs-mi"),
        pytest.param({"cpu": "500m"}, {"cpu": "0.5"}, [], id="quantity-milli-vs-decimal"),
        pytest.param({"cpu": 1}, {"cpu": "1000m"}, [], id="quantity-int-vs-milli"),
        pytest.param({"cpu": 2}, {"cpu": "2"}, [], id="quantity-int-vs-plain-string"),
        pytest.param({"n": "1e3"}, {"n": "1k"}, [], id="quantity-exponent-vs-suffix"),
        pytest.param(
            {"version": "1.10"},
            {"version": "1.1"},
            ['version: Invalid value: "1.1": Expected value: "1.10"'],
            id="plain-decimal-strings-compare-as-text",
        ),
        pytest.param(
            {"tag": "2"},
            {"tag": "2.0"},
            ['tag: Invalid value: "2.0": Expected value: "2"'],
            id="plain-number-strings-compare-as-text",
        ),
        pytest.param(
            {"replicas": 3},
            {"replicas": 3.0},
            [],
            id="json-numbers-compare-by-value",
        ),
        pytest.param(
            {"mem": "4Gi"},
            {"mem": "2Gi"},
            ['mem: Invalid value: "2Gi": Expected value: "4Gi"'],
            id="quantity-different-value",
        ),
        pytest.param(
            {"(length(subsets[0].addresses))": 3},
            {"subsets": [{"addresses": [{"ip": "a"}, {"ip": "b"}]}]},
            ["subsets: Invalid value: 2: Expected the number of subsets[0].addresses = 3"],
            id="jmespath-length",
        ),
        pytest.param({"spec": {"(replicas > `1`)": True}}, DEPLOY, [], id="jmespath-comparison"),
        pytest.param(
            {"(length(subsets))": 1},
            {},
            ["subsets: Required value: field not found; Expected the number of subsets = 1"],
            id="jmespath-on-missing-field",
        ),
        pytest.param({"spec": {"paused": None}}, DEPLOY, [], id="null-means-absent"),
        pytest.param({"spec": {"template": {}}}, DEPLOY, [], id="empty-map-matches-any-map"),
        pytest.param(
            {"spec": {"strategy": {}}},
            DEPLOY,
            ["spec.strategy: Required value: field not found"],
            id="empty-map-needs-the-field",
        ),
        pytest.param(
            {"spec": {"replicas": {}}},
            DEPLOY,
            ["spec.replicas: Invalid value: 2: Expected a map"],
            id="empty-map-needs-a-map",
        ),
        pytest.param(
            {"spec": {"template": {"spec": {"containers": []}}}},
            DEPLOY,
            [],
            id="empty-list-matches-any-list",
        ),
        pytest.param(
            {"spec": {"replicas": None}},
            DEPLOY,
            ["spec.replicas: Invalid value: 2: Expected value: null"],
            id="null-but-present",
        ),
        pytest.param(
            {"spec": {"replicas": {"min": 1}}},
            DEPLOY,
            ["spec.replicas: Invalid value: 2: Expected a map"],
            id="type-map-vs-scalar",
        ),
        pytest.param(
            {"spec": [{"replicas": 2}]},
            DEPLOY,
            [
                'spec: Invalid value: {"replicas": 2, "template": {"spec": {"containers": '
                '[{"image": "busybox", "name": "sidecar"}, {"name": "inference", '
                '"resources": {"limits": {"memory": "4096Mi"}}}]}}}: Expected a list'
            ],
            id="type-list-vs-map",
        ),
        pytest.param(
            {"ready": True},
            {"ready": "true"},
            ['ready: Invalid value: "true": Expected value: true'],
            id="type-bool-vs-string",
        ),
        pytest.param(
            {"replicas": 1},
            {"replicas": True},
            ["replicas: Invalid value: true: Expected value: 1"],
            id="type-int-vs-bool",
        ),
        pytest.param(
            {"image": "nginx"},
            {"image": {"name": "nginx"}},
            ['image: Invalid value: {"name": "nginx"}: Expected value: "nginx"'],
            id="type-scalar-vs-map",
        ),
    ],
)
def test_matcher_reports_exact_field_errors(expect: Any, actual: Any, messages: list[str]):
    assert errors(expect, actual) == messages


@pytest.mark.parametrize(
    "text, value",
    [
        pytest.param("4Gi", 4 * 2**30, id="binary"),
        pytest.param("500m", 0.5, id="milli"),
        pytest.param("1e3", 1000, id="exponent"),
        pytest.param("1.5k", 1500, id="decimal-suffix"),
        pytest.param(".5", 0.5, id="leading-dot"),
        pytest.param(2, 2, id="int"),
    ],
)
def test_quantities_parse_to_exact_values(text: Any, value: float):
    assert parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "4GB", "", "1.2.3", True, None, "Mi"])
def test_non_quantities_are_rejected(text: Any):
    assert parse_quantity(text) is None


def test_diff_shows_expected_subtree_against_the_matching_actual_part():
    node = parse_expectation(
        {
            "spec": {
                "replicas": 3,
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "inference", "resources": {"limits": {"memory": "4Gi"}}}
                        ]
                    }
                },
            }
        }
    )
    text = diff(node, DEPLOY)
    assert text.splitlines()[:2] == ["--- expected", "+++ actual"]
    assert "-  replicas: 3" in text and "+  replicas: 2" in text
    assert "4096Mi" not in text  # equal by value (4Gi): no difference to show
    assert "sidecar" not in text  # the diff aligns with the matching container only


def test_diff_marks_a_list_item_field_that_differs():
    node = parse_expectation({"status": {"conditions": [{"type": "Available", "status": "True"}]}})
    lines = diff(node, DEPLOY).splitlines()
    assert "-    status: 'True'" in lines and "+    status: 'False'" in lines
    assert not any("Progressing" in line for line in lines)
