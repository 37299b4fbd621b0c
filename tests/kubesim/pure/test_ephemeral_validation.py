"""pods/ephemeralcontainers accepts only additions, each without what long-lived containers
have (validateEphemeralContainers / ValidatePodEphemeralContainersUpdate's wording)."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.apiserver.validation.pod import validate_ephemeral_update

APP = {"name": "app", "image": "busybox"}
DEBUG = {"name": "debugger", "image": "busybox", "targetContainerName": "app"}


def _spec(*ephemeral: dict[str, Any]) -> dict[str, Any]:
    return {"containers": [APP], "ephemeralContainers": list(ephemeral)}


@pytest.mark.parametrize(
    "old, new, messages",
    [
        pytest.param(_spec(), _spec(DEBUG), [], id="an-addition"),
        pytest.param(_spec(DEBUG), _spec(DEBUG, {"name": "d2", "image": "b"}), [], id="another"),
        pytest.param(
            _spec(DEBUG),
            _spec(),
            [
                'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger" '
                "may not be removed"
            ],
            id="removed",
        ),
        pytest.param(
            _spec(DEBUG),
            _spec({**DEBUG, "image": "alpine"}),
            [
                "spec.ephemeralContainers[0]: Forbidden: existing ephemeral containers "
                '"debugger" may not be changed'
            ],
            id="changed",
        ),
        pytest.param(
            _spec(),
            _spec({"name": "app", "image": "busybox"}),
            ['spec.ephemeralContainers[0].name: Duplicate value: "app"'],
            id="name-of-a-container",
        ),
        pytest.param(
            _spec(),
            _spec({"name": "d", "ports": [{"containerPort": 80}]}),
            [
                "spec.ephemeralContainers[0].image: Required value",
                "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral "
                "Container",
            ],
            id="no-image-and-ports",
        ),
        pytest.param(
            _spec(),
            _spec({**DEBUG, "targetContainerName": "nope"}),
            ['spec.ephemeralContainers[0].targetContainerName: Not found: "nope"'],
            id="unknown-target",
        ),
    ],
)
def test_ephemeral_container_updates(old: Any, new: Any, messages: list[str]) -> None:
    errors = validate_ephemeral_update(new, old)
    assert [f"{e.field}: {e.message}" for e in errors] == messages
