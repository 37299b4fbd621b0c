"""Pod Security Admission: the policy, as k8s.io/pod-security-admission evaluates it (pure).

The namespace's labels choose a level per mode (`pod-security.kubernetes.io/enforce`,
`audit`, `warn`, each with a `-version`); no label means `privileged`, which checks
nothing. A level is evaluated as upstream's check registry does: the baseline checks that
no restricted check overlaps, then (baseline) the overlapping baseline checks or
(restricted) the restricted checks, each in upstream's registration order (the order of
the `check_*.go` files), with upstream's reasons and details, so a refusal reads

    violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container
    "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities
    (...), runAsNonRoot != true (...), seccompProfile (...)

Covered: host namespaces, hostPort, privileged, capabilities (baseline and restricted),
hostPath volumes, seccompProfile (baseline and restricted), allowPrivilegeEscalation,
restricted volume types, runAsNonRoot, runAsUser. Not covered (no course pod sets them):
AppArmor, procMount, seLinuxOptions, sysctls, Windows host process, probe/lifecycle `host`
fields, user namespaces' relaxations (`hostUsers: false`). Every policy version evaluates as `latest`
(1.37's checks), as upstream does for versions newer than its own. The API (`api.py`)
acts on the results: 403 for `enforce` on a pod, `Warning` headers for `warn` (and for
`enforce` on a workload's pod template), and warnings when a namespace's new enforce level
would refuse pods it already runs. `audit` labels are validated and otherwise do nothing:
kubesim keeps no audit log. Pod updates (an ephemeral container added by `kubectl debug`
included) are not evaluated; upstream evaluates those too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LEVELS",
    "Level",
    "evaluate",
    "forbidden_detail",
    "forbidden_reason",
    "label_errors",
    "namespace_policy",
    "pod_template",
    "violating_pods_warnings",
]

Obj = dict[str, Any]
Result = tuple[str, str]  # (forbidden reason, forbidden detail)

PREFIX = "pod-security.kubernetes.io/"
MODES = ("enforce", "audit", "warn")
LEVELS = ("privileged", "baseline", "restricted")
_VERSION = re.compile(r"^v1\.(0|[1-9][0-9]*)$")


_WORKLOADS = (
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicationController",
)


@dataclass(frozen=True)
class Level:
    level: str  # privileged | baseline | restricted
    version: str = "latest"  # "latest" or "v1.N"

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"


def label_errors(labels: dict[str, str] | None) -> list[tuple[str, str]]:
    """Upstream's namespace validation of the PodSecurity labels: (field, message) per bad
    label, e.g. ("metadata.labels[pod-security.kubernetes.io/enforce]", 'Invalid value:
    "strict": must be one of privileged, baseline, restricted')."""
    errors = []
    for key, value in sorted((labels or {}).items()):
        if not key.startswith(PREFIX):
            continue
        mode = key[len(PREFIX) :]
        field = f"metadata.labels[{key}]"
        if mode in MODES and value not in LEVELS:
            errors.append(
                (
                    field,
                    f'Invalid value: "{value}": must be one of privileged, baseline, restricted',
                )
            )
        elif (
            mode.endswith("-version")
            and mode[: -len("-version")] in MODES
            and value != "latest"
            and not _VERSION.match(value)
        ):
            errors.append((field, f'Invalid value: "{value}": must be "latest" or "v1.x"'))
    return errors


def namespace_policy(labels: dict[str, str] | None) -> dict[str, Level]:
    """The level per mode (`enforce`, `audit`, `warn`) the labels select; unlabelled modes
    are `privileged:latest`."""
    labels = labels or {}
    out = {}
    for mode in MODES:
        level = labels.get(PREFIX + mode, "privileged")
        version = labels.get(f"{PREFIX}{mode}-version", "latest")
        if level not in LEVELS:
            level = "privileged"
        if version != "latest" and not _VERSION.match(version):
            version = "latest"
        out[mode] = Level(level, version)
    return out


def pod_template(kind: str, obj: Obj) -> tuple[Obj, Obj] | None:
    """(metadata, spec) of the pod a workload object describes, None for other kinds."""
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return obj.get("metadata") or {}, spec
    if kind == "PodTemplate":
        template = obj.get("template") or {}
    elif kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    elif kind in _WORKLOADS:
        template = spec.get("template") or {}
    else:
        return None
    return template.get("metadata") or {}, template.get("spec") or {}


# -- helpers, as upstream's policy/helpers.go ------------------------------------------------


def _containers(spec: Obj) -> Iterable[Obj]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def _sc(container: Obj) -> Obj:
    return container.get("securityContext") or {}


def _pluralize(one: str, many: str, n: int) -> str:
    return one if n == 1 else many


def _quote(items: Iterable[str]) -> str:
    return ", ".join(f'"{i}"' for i in items)


def _containers_phrase(names: list[str]) -> str:
    return f"{_pluralize('container', 'containers', len(names))} {_quote(names)}"


# -- baseline checks (not overlapped by a restricted one) ----------------------------------


def _host_namespaces(meta: Obj, spec: Obj) -> Result | None:
    used = [f"{k}=true" for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    return ("host namespaces", ", ".join(used)) if used else None


def _host_ports(meta: Obj, spec: Obj) -> Result | None:
    bad, ports = [], set()
    for c in _containers(spec):
        found = {str(p["hostPort"]) for p in c.get("ports") or [] if p.get("hostPort")}
        if found:
            bad.append(c.get("name", ""))
            ports |= found
    if not bad:
        return None
    detail = (
        f"{_containers_phrase(bad)} {_pluralize('uses', 'use', len(bad))} "
        f"{_pluralize('hostPort', 'hostPorts', len(ports))} {', '.join(sorted(ports))}"
    )
    return "hostPort", detail


def _privileged(meta: Obj, spec: Obj) -> Result | None:
    bad = [c.get("name", "") for c in _containers(spec) if _sc(c).get("privileged")]
    if not bad:
        return None
    return "privileged", f"{_containers_phrase(bad)} must not set securityContext.privileged=true"


# -- baseline checks a restricted check overlaps --------------------------------------------

_BASELINE_CAPS = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def _capabilities_baseline(meta: Obj, spec: Obj) -> Result | None:
    bad, caps = [], set()
    for c in _containers(spec):
        added = {a for a in (_sc(c).get("capabilities") or {}).get("add") or []}
        extra = added - _BASELINE_CAPS
        if extra:
            bad.append(c.get("name", ""))
            caps |= extra
    if not bad:
        return None
    return "non-default capabilities", (
        f"{_containers_phrase(bad)} must not include {_quote(sorted(caps))} in "
        "securityContext.capabilities.add"
    )


def _host_path_volumes(meta: Obj, spec: Obj) -> Result | None:
    names = [v.get("name", "") for v in spec.get("volumes") or [] if "hostPath" in v]
    if not names:
        return None
    return "hostPath volumes", f"{_pluralize('volume', 'volumes', len(names))} {_quote(names)}"


def _seccomp_baseline(meta: Obj, spec: Obj) -> Result | None:
    setters = []
    pod = (spec.get("securityContext") or {}).get("seccompProfile") or {}
    if pod.get("type") == "Unconfined":
        setters.append("pod")
    names = [
        c.get("name", "")
        for c in _containers(spec)
        if (_sc(c).get("seccompProfile") or {}).get("type") == "Unconfined"
    ]
    if names:
        setters.append(_containers_phrase(names))
    if not setters:
        return None
    return "seccompProfile", (
        f'{" and ".join(setters)} must not set securityContext.seccompProfile.type to "Unconfined"'
    )


# -- restricted checks -------------------------------------------------------------------


def _allow_privilege_escalation(meta: Obj, spec: Obj) -> Result | None:
    bad = [
        c.get("name", "")
        for c in _containers(spec)
        if _sc(c).get("allowPrivilegeEscalation") is not False
    ]
    if not bad:
        return None
    return "allowPrivilegeEscalation != false", (
        f"{_containers_phrase(bad)} must set securityContext.allowPrivilegeEscalation=false"
    )


def _capabilities_restricted(meta: Obj, spec: Obj) -> Result | None:
    missing_drop, adding, caps = [], [], set()
    for c in _containers(spec):
        capabilities = _sc(c).get("capabilities")
        if capabilities is None:
            missing_drop.append(c.get("name", ""))
            continue
        if "ALL" not in (capabilities.get("drop") or []):
            missing_drop.append(c.get("name", ""))
        extra = {a for a in capabilities.get("add") or [] if a != "NET_BIND_SERVICE"}
        if extra:
            adding.append(c.get("name", ""))
            caps |= extra
    details = []
    if missing_drop:
        details.append(
            f'{_containers_phrase(missing_drop)} must set securityContext.capabilities.drop=["ALL"]'
        )
    if adding:
        details.append(
            f"{_containers_phrase(adding)} must not include {_quote(sorted(caps))} in "
            "securityContext.capabilities.add"
        )
    return ("unrestricted capabilities", "; ".join(details)) if details else None


_ALLOWED_VOLUME_SOURCES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
        "image",
    }
)


def _restricted_volumes(meta: Obj, spec: Obj) -> Result | None:
    bad, types = [], set()
    for v in spec.get("volumes") or []:
        sources = [k for k in v if k != "name"]
        wrong = [k for k in sources if k not in _ALLOWED_VOLUME_SOURCES]
        if wrong:
            bad.append(v.get("name", ""))
            types |= set(wrong)
    if not bad:
        return None
    return "restricted volume types", (
        f"{_pluralize('volume', 'volumes', len(bad))} {_quote(bad)} "
        f"{_pluralize('uses', 'use', len(bad))} restricted volume "
        f"{_pluralize('type', 'types', len(types))} {_quote(sorted(types))}"
    )


def _explicit_or_pod(
    spec: Obj, field: str, *, good: Callable[[Any], bool]
) -> tuple[list[str], list[str]]:
    """(bad setters: "pod" and/or the containers that set a bad value, containers that set
    nothing and are not covered by a good pod-level value)."""
    setters: list[str] = []
    pod_value = (spec.get("securityContext") or {}).get(field)
    pod_good = False
    if pod_value is not None:
        if good(pod_value):
            pod_good = True
        else:
            setters.append("pod")
    explicit, implicit = [], []
    for c in _containers(spec):
        value = _sc(c).get(field)
        if value is not None:
            if not good(value):
                explicit.append(c.get("name", ""))
        elif not pod_good:
            implicit.append(c.get("name", ""))
    if explicit:
        setters.append(_containers_phrase(explicit))
    return setters, implicit


def _run_as_non_root(meta: Obj, spec: Obj) -> Result | None:
    setters, implicit = _explicit_or_pod(spec, "runAsNonRoot", good=lambda v: v is True)
    if setters:
        return "runAsNonRoot != true", (
            f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false"
        )
    if implicit:
        return "runAsNonRoot != true", (
            f"pod or {_containers_phrase(implicit)} must set securityContext.runAsNonRoot=true"
        )
    return None


def _run_as_user(meta: Obj, spec: Obj) -> Result | None:
    setters = []
    if (spec.get("securityContext") or {}).get("runAsUser") == 0:
        setters.append("pod")
    names = [c.get("name", "") for c in _containers(spec) if _sc(c).get("runAsUser") == 0]
    if names:
        setters.append(_containers_phrase(names))
    if not setters:
        return None
    return "runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0"


def _seccomp_restricted(meta: Obj, spec: Obj) -> Result | None:
    bad_values: set[str] = set()

    def good(profile: Any) -> bool:
        ok = (profile or {}).get("type") in ("RuntimeDefault", "Localhost")
        if not ok:
            bad_values.add(str((profile or {}).get("type", "")))
        return ok

    setters, implicit = _explicit_or_pod(spec, "seccompProfile", good=good)
    if setters:
        return "seccompProfile", (
            f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
            f"{_quote(sorted(bad_values))}"
        )
    if implicit:
        return "seccompProfile", (
            f"pod or {_containers_phrase(implicit)} must set "
            'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"'
        )
    return None


Check = Callable[[Obj, Obj], "Result | None"]
# The registry's order (policy/registry.go): the baseline checks sorted by ID, then the
# restricted ones; at restricted the baseline checks a restricted one overrides are left out.
_BASELINE: tuple[Check, ...] = (
    _capabilities_baseline,  # capabilities_baseline
    _host_namespaces,  # hostNamespaces
    _host_path_volumes,  # hostPathVolumes
    _host_ports,  # hostPorts
    _privileged,  # privileged
    _seccomp_baseline,  # seccompProfile_baseline
)
_OVERRIDDEN = (_capabilities_baseline, _host_path_volumes, _seccomp_baseline)
_RESTRICTED: tuple[Check, ...] = (
    _allow_privilege_escalation,
    _capabilities_restricted,
    _restricted_volumes,
    _run_as_non_root,
    _run_as_user,
    _seccomp_restricted,
)


def evaluate(level: str, meta: Obj, spec: Obj) -> list[Result]:
    """The forbidden (reason, detail) pairs of a pod at `level`, in upstream's order; []
    when the level allows it."""
    if level == "privileged":
        return []
    checks = (
        _BASELINE
        if level == "baseline"
        else tuple(c for c in _BASELINE if c not in _OVERRIDDEN) + _RESTRICTED
    )
    return [r for r in (check(meta, spec) for check in checks) if r is not None]


def forbidden_reason(results: list[Result]) -> str:
    """`host namespaces, hostPath volumes, privileged`: what a namespace warning lists."""
    return ", ".join(reason for reason, _ in results)


def forbidden_detail(results: list[Result]) -> str:
    """`hostPort (container "c" uses hostPort 80), ...`: what a refusal says."""
    return ", ".join(f"{reason} ({detail})" if detail else reason for reason, detail in results)


def violating_pods_warnings(namespace: str, level: Level, pods: list[Obj]) -> list[str]:
    """The warnings for a namespace whose new enforce level refuses pods it runs: a header
    line, then one line per distinct set of reasons naming its first pod (and how many
    others), as upstream's EvaluatePodsInNamespace words them."""
    groups: dict[str, list[str]] = {}
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        results = evaluate(level.level, pod.get("metadata") or {}, pod.get("spec") or {})
        if results:
            groups.setdefault(forbidden_reason(results), []).append(pod["metadata"]["name"])
    if not groups:
        return []
    out = [
        f'existing pods in namespace "{namespace}" violate the new PodSecurity enforce level '
        f'"{level}"'
    ]
    for reason, names in groups.items():
        others = len(names) - 1
        if others:
            out.append(
                f"{names[0]} (and {others} other {_pluralize('pod', 'pods', others)}): {reason}"
            )
        else:
            out.append(f"{names[0]}: {reason}")
    return out
