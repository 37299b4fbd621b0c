"""The three non-apply patch types, dispatched by Content-Type, as kube-apiserver does.

Contract:
    apply_patch(obj: dict, patch: bytes | str | list | dict, *, content_type: str,
                gvk: tuple[str, str, str]) -> dict
content_type is one of application/json-patch+json, application/merge-patch+json,
application/strategic-merge-patch+json. Returns a new object; never mutates `obj`.
Raises PatchError(message, code=...) for a patch that cannot apply; the API answers with
that code and message, as kube-apiserver does:

* JSON patch: 400 when the body is not a list of operations, 422 when an operation fails
  (evanphx/json-patch's words, e.g. "testing value /spec/replicas failed: test failed");
* merge patch: 400 for a body that is not a JSON object;
* strategic merge patch: 400/422 per apimachinery's `interpretStrategicMergePatchError`;
  415 for kinds without a built-in schema (custom resources), with the server's message.

Server-side apply (`application/apply-patch+yaml`) lives in `_ssa`.
"""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.patch import schema as _patch_schema
from kubesim.apiserver.patch.jsonpatch import (
    JsonPatchFailed,
    apply_json_patch,
    apply_merge_patch,
    loads,
)
from kubesim.apiserver.patch.strategic import SmpFailed, strategic_merge

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

# What a custom resource accepts; the order is the one kube-apiserver prints.
CUSTOM_RESOURCE_PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)


class PatchError(Exception):
    """A patch that cannot be applied; `str()` is the message for the Status body."""

    def __init__(self, message: str, *, code: int = 422) -> None:
        super().__init__(message)
        self.code = code


def unsupported_media_type(accepted: tuple[str, ...]) -> PatchError:
    """The 415 that kube-apiserver answers for a Content-Type the resource does not take."""
    return PatchError(
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
        code=415,
    )


def apply_patch(
    obj: dict[str, Any], patch: Any, *, content_type: str, gvk: tuple[str, str, str]
) -> dict[str, Any]:
    """Apply a JSON, merge or strategic merge patch to a copy of `obj`."""
    media = content_type.split(";", 1)[0].strip().lower()
    try:
        body = loads(patch)
        if media == JSON_PATCH:
            result = apply_json_patch(obj, body)
        elif media == MERGE_PATCH:
            result = apply_merge_patch(obj, body)
        elif media == STRATEGIC_MERGE_PATCH:
            result = _strategic(obj, body, gvk)
        else:
            raise unsupported_media_type(
                (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)
            )
    except (JsonPatchFailed, SmpFailed) as exc:
        raise PatchError(str(exc), code=exc.code) from exc
    if not isinstance(result, dict):
        raise PatchError(
            "the patched object is not a JSON object; a patch must leave a Kubernetes object "
            "behind (check that the patch does not replace the whole document with a list or "
            "a value)",
            code=422,
        )
    return result


def _strategic(obj: dict[str, Any], body: Any, gvk: tuple[str, str, str]) -> dict[str, Any]:
    node = _patch_schema.root(gvk)
    if node is None:
        raise unsupported_media_type(CUSTOM_RESOURCE_PATCH_TYPES)
    if not isinstance(body, dict):
        raise SmpFailed("invalid JSON document", code=400)
    return strategic_merge(obj, body, node)
