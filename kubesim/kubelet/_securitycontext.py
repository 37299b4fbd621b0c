"""The kubelet's runAsNonRoot check before it creates a container
(pkg/kubelet/kuberuntime/security_context_others.go, `verifyRunAsNonRoot`).

The effective securityContext is the container's field over the pod's
(pkg/securitycontext, `DetermineEffectiveSecurityContext`). With runAsNonRoot true, an
explicit runAsUser 0 is refused; without a runAsUser the image's user decides: uid 0 (or no
USER at all, which runs as root) is refused, a non-numeric name cannot be verified and is
refused too. Each refusal is CreateContainerConfigError with the kubelet's own words; the
container is not started. kubesim starts its processes as itself whatever the uid says;
this is the check a real kubelet makes, so a manifest that would not start on kind does not
start here either.
"""

from __future__ import annotations

from typing import Any

from kubesim.kubelet._env import ConfigError

Obj = dict[str, Any]


def _effective(pod: Obj, container: Obj, key: str) -> Any:
    own = (container.get("securityContext") or {}).get(key)
    if own is not None:
        return own
    return ((pod.get("spec") or {}).get("securityContext") or {}).get(key)


def _image_user(user: str) -> tuple[int | None, str]:
    """(uid, name) of an image's USER `user[:group]`; no USER is uid 0, as the kubelet reads it."""
    name = user.split(":", 1)[0].strip()
    if not name:
        return 0, ""
    return (int(name), "") if name.isdigit() else (None, name)


def verify_run_as_non_root(pod: Obj, container: Obj, image_user: str) -> None:
    """Raise ConfigError when the container would break the pod's runAsNonRoot."""
    if _effective(pod, container, "runAsNonRoot") is not True:
        return
    meta = pod.get("metadata") or {}
    where = (
        f'(pod: "{meta.get("name")}_{meta.get("namespace")}({meta.get("uid")})", '
        f"container: {container.get('name')})"
    )
    run_as_user = _effective(pod, container, "runAsUser")
    if run_as_user is not None:
        if run_as_user == 0:
            raise ConfigError(f"container's runAsUser breaks non-root policy {where}")
        return
    uid, name = _image_user(image_user)
    if uid == 0:
        raise ConfigError(f"container has runAsNonRoot and image will run as root {where}")
    if uid is None:
        raise ConfigError(
            f"container has runAsNonRoot and image has non-numeric user ({name}), "
            f"cannot verify user is non-root {where}"
        )
