"""The kubelet's runAsNonRoot verification (pkg/kubelet/kuberuntime/security_context_others.go,
`verifyRunAsNonRoot`), before a container is created: with an effective `runAsNonRoot: true`
the container must state a non-zero `runAsUser` or come from an image whose USER is a
non-zero uid; otherwise CreateContainerConfigError with the kubelet's words.

kubesim checks the policy; it does not switch the container's processes to that uid."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def _effective(pod: Obj, container: Obj, field: str) -> Any:
    value = (container.get("securityContext") or {}).get(field)
    if value is None:
        value = ((pod.get("spec") or {}).get("securityContext") or {}).get(field)
    return value


def run_as_non_root_error(pod: Obj, container: Obj, *, image_user: str) -> str | None:
    """The kubelet's refusal, or None. `image_user` is the image's USER ("" runs as root;
    "10001:10001" is uid 10001; a name cannot be verified)."""
    if _effective(pod, container, "runAsNonRoot") is not True:
        return None
    meta = pod.get("metadata") or {}
    where = (
        f'(pod: "{meta.get("name", "")}_{meta.get("namespace", "")}({meta.get("uid", "")})", '
        f"container: {container.get('name', '')})"
    )
    run_as_user = _effective(pod, container, "runAsUser")
    if run_as_user is not None:
        return f"container's runAsUser breaks non-root policy {where}" if run_as_user == 0 else None
    user = image_user.split(":", 1)[0]
    if user and not user.isdigit():
        return (
            f"container has runAsNonRoot and image has non-numeric user ({user}), cannot "
            f"verify user is non-root {where}"
        )
    if not user or int(user) == 0:
        return f"container has runAsNonRoot and image will run as root {where}"
    return None
