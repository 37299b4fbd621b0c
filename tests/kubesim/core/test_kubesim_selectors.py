"""Label and field selectors parse and match as Kubernetes defines them."""

from __future__ import annotations

import pytest

from kubesim.core.errors import BadRequest
from kubesim.core.selectors import (
    format_selector,
    matches_fields,
    matches_labels,
    parse_field_selector,
    parse_label_selector,
)

LABELS = {"app": "web", "tier": "front", "env": "prod"}


@pytest.mark.parametrize(
    "selector, matches",
    [
        pytest.param("", True, id="empty-matches-all"),
        pytest.param("app=web", True, id="equals"),
        pytest.param("app==web", True, id="double-equals"),
        pytest.param("app!=web", False, id="not-equals"),
        pytest.param("app!=db", True, id="not-equals-other"),
        pytest.param("missing!=x", True, id="not-equals-absent-label"),
        pytest.param("app in (web,db)", True, id="in"),
        pytest.param("app in (db)", False, id="in-miss"),
        pytest.param("app notin (db, cache)", True, id="notin"),
        pytest.param("env notin (prod)", False, id="notin-miss"),
        pytest.param("tier", True, id="exists"),
        pytest.param("!tier", False, id="not-exists"),
        pytest.param("!missing", True, id="not-exists-absent"),
        pytest.param("app=web,tier in (front,back),!missing", True, id="combined"),
        pytest.param("app=web,env=dev", False, id="combined-one-fails"),
    ],
)
def test_label_selector_matches_like_kubernetes(selector: str, matches: bool) -> None:
    assert matches_labels(parse_label_selector(selector), LABELS) is matches


def test_malformed_label_selector_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="unable to parse requirement"):
        parse_label_selector("app in web")


POD = {
    "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "shop"},
    "spec": {"nodeName": "kind-worker"},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    "selector, matches",
    [
        pytest.param("metadata.name=web-1", True, id="name"),
        pytest.param("metadata.name==web-2", False, id="name-miss"),
        pytest.param("metadata.namespace=shop", True, id="namespace"),
        pytest.param("spec.nodeName=kind-worker", True, id="node"),
        pytest.param("spec.nodeName=", False, id="unscheduled"),
        pytest.param("status.phase!=Running", False, id="phase-not"),
        pytest.param("status.phase!=Pending,spec.nodeName=kind-worker", True, id="two"),
    ],
)
def test_field_selector_matches_pod_fields(selector: str, matches: bool) -> None:
    assert matches_fields(parse_field_selector(selector, kind="Pod"), POD) is matches


def test_event_field_selectors_reach_involved_object() -> None:
    event = {
        "kind": "Event",
        "metadata": {"name": "e"},
        "involvedObject": {"kind": "Deployment", "name": "web", "uid": "u1"},
        "type": "Normal",
        "reason": "ScalingReplicaSet",
    }
    sel = parse_field_selector(
        "involvedObject.kind=Deployment,involvedObject.name=web,type=Normal", kind="Event"
    )
    assert matches_fields(sel, event)


def test_unsupported_field_label_is_refused_with_the_real_text() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_field_selector("spec.replicas=3", kind="Deployment")
    assert caught.value.message == "field label not supported: spec.replicas"


@pytest.mark.parametrize(
    "spec, text",
    [
        pytest.param({"matchLabels": {"app": "web"}}, "app=web", id="labels"),
        pytest.param(
            {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]},
            "tier in (a,b)",
            id="in",
        ),
        pytest.param(
            {"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, "!x", id="not-exists"
        ),
    ],
)
def test_label_selector_objects_format_as_scale_selector_strings(spec: dict, text: str) -> None:
    assert format_selector(spec) == text
