"""Kubernetes `Status` bodies and the errors that carry them.

Every failure kubesim answers is one of these, raised anywhere in the API layer and turned
into an HTTP answer at the edge, with the reason, code and message kube-apiserver uses
(`k8s.io/apimachinery/pkg/api/errors`). In-process callers (controllers) catch the same
classes the HTTP client would see.

ApiError                      code  reason
  + BadRequest                400   BadRequest
  + Unauthorized              401   Unauthorized
  + Forbidden                 403   Forbidden
  + NotFound                  404   NotFound
  + MethodNotSupported        405   MethodNotAllowed
  + Conflict                  409   Conflict
  + AlreadyExists             409   AlreadyExists
  + Gone                      410   Expired
  + RequestEntityTooLarge     413   RequestEntityTooLarge
  + UnsupportedMediaType      415   UnsupportedMediaType
  + Invalid                   422   Invalid
  + TooManyRequests           429   TooManyRequests
  + InternalError             500   InternalError
  + UntypedError              500   (none)
  + ServiceUnavailable        503   ServiceUnavailable
  + Timeout                   504   Timeout
"""

from __future__ import annotations

from typing import Any


def status_body(
    *, code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        body["details"] = details
    body["code"] = code  # metav1.Status field order: ..., reason, details, code
    if not reason:
        del body["reason"]
    return body


def success_body(*, code: int = 200, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def qualified(resource: str, group: str) -> str:
    """`deployments.apps`, `configmaps`: how the real server names a resource in messages."""
    return f"{resource}.{group}" if group else resource


class ApiError(Exception):
    """A request the API refuses; `status` is the `Status` body to answer with."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def status(self) -> dict[str, Any]:
        return status_body(
            code=self.code, reason=self.reason, message=self.message, details=self.details
        )


class BadRequest(ApiError):
    code, reason = 400, "BadRequest"


class Unauthorized(ApiError):
    code, reason = 401, "Unauthorized"


class Forbidden(ApiError):
    code, reason = 403, "Forbidden"


class NotFound(ApiError):
    code, reason = 404, "NotFound"


class MethodNotSupported(ApiError):
    code, reason = 405, "MethodNotAllowed"


class Conflict(ApiError):
    code, reason = 409, "Conflict"


class AlreadyExists(ApiError):
    code, reason = 409, "AlreadyExists"


class Gone(ApiError):
    code, reason = 410, "Expired"


class RequestEntityTooLarge(ApiError):
    code, reason = 413, "RequestEntityTooLarge"


class UnsupportedMediaType(ApiError):
    code, reason = 415, "UnsupportedMediaType"


class Invalid(ApiError):
    code, reason = 422, "Invalid"


class TooManyRequests(ApiError):
    code, reason = 429, "TooManyRequests"


class InternalError(ApiError):
    code, reason = 500, "InternalError"


class UntypedError(ApiError):
    """An error kube-apiserver raises as a plain Go error, not a Status: ErrorToAPIStatus
    turns it into 500 with no reason (kubectl prints `Error from server: ...`)."""

    code, reason = 500, ""


class ServiceUnavailable(ApiError):
    code, reason = 503, "ServiceUnavailable"


class Timeout(ApiError):
    code, reason = 504, "Timeout"


# -- constructors worded as apimachinery's errors.NewXxx -------------------------------


def not_found(resource: str, name: str, *, group: str = "") -> NotFound:
    return NotFound(
        f'{qualified(resource, group)} "{name}" not found',
        details=_details(resource, name, group),
    )


def already_exists(resource: str, name: str, *, group: str = "") -> AlreadyExists:
    return AlreadyExists(
        f'{qualified(resource, group)} "{name}" already exists',
        details=_details(resource, name, group),
    )


def conflict(resource: str, name: str, why: str, *, group: str = "") -> Conflict:
    return Conflict(
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {why}',
        details=_details(resource, name, group),
    )


MODIFIED = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def invalid(kind: str, name: str, causes: list[dict[str, str]], *, group: str = "") -> Invalid:
    """`Deployment.apps "x" is invalid: spec.replicas: Invalid value: ...`"""
    texts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details: dict[str, Any] = {"name": name, "group": group, "kind": kind, "causes": causes}
    if not group:
        del details["group"]
    return Invalid(f'{qualified(kind, group)} "{name}" is invalid: {joined}', details=details)


def gone_expired(requested: int, oldest: int) -> Gone:
    return Gone(f"too old resource version: {requested} ({oldest})")


def resource_not_found() -> NotFound:
    return NotFound("the server could not find the requested resource", details={})


def _details(resource: str, name: str, group: str) -> dict[str, Any]:
    if group:
        return {"name": name, "group": group, "kind": resource}
    return {"name": name, "kind": resource}
