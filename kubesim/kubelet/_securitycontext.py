"""The kubelet's runAsNonRoot check before it creates a container
(pkg/kubelet/kuberuntime/security_context_others.go, `verifyRunAsNonRoot`), and the
identity the runtime gives the container's processes (`identity`).

The effective securityContext is the container's field over the pod's
(pkg/securitycontext, `DetermineEffectiveSecurityContext`). With runAsNonRoot true, an
explicit runAsUser 0 is refused; without a runAsUser the image's user decides: uid 0 (or no
USER at all, which runs as root) is refused, a non-numeric name cannot be verified and is
refused too. Each refusal is CreateContainerConfigError with the kubelet's own words; the
container is not started.

The identity is what containerd's CRI plugin and runc make of the securityContext: the uid is
runAsUser, else the image's USER (a name looked up in the image's /etc/passwd); the gid is
runAsGroup, else the image's `user:group`, else the user's group in /etc/passwd, else 0; the
supplementary groups are the gid, the groups /etc/group lists the user in (policy Merge, the
default; not with Strict), fsGroup and supplementalGroups, which the kernel keeps sorted
(so `id` in the docs' example prints `uid=1000 gid=3000 groups=2000,3000,4000`). HOME is the
user's home in /etc/passwd, else `/`. `allowPrivilegeEscalation: false` sets no_new_privs,
`readOnlyRootFilesystem` mounts the root read-only (volumes keep their own mode), and
`capabilities.drop` shrinks the runtime's default set (`ALL`: a root with none).
`capabilities.add` is not granted: a root kubesim's containers are real root in their own
namespaces, and a host capability such as SYS_TIME must not reach them.
"""

from __future__ import annotations

from dataclasses import dataclass
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


# Linux's capability numbers (linux/capability.h), by the names a securityContext uses
CAPABILITIES = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
]


def dropped_capabilities(container: Obj) -> tuple[int, ...]:
    """`capabilities.drop` as numbers (`ALL`: every one; a `CAP_` prefix is accepted, as
    containerd accepts it; an unknown name drops nothing)."""
    names = {
        str(n).upper().removeprefix("CAP_")
        for n in ((container.get("securityContext") or {}).get("capabilities") or {}).get("drop")
        or ()
    }
    if "ALL" in names:
        return tuple(range(len(CAPABILITIES)))
    return tuple(sorted(CAPABILITIES.index(n) for n in names if n in CAPABILITIES))


@dataclass(frozen=True)
class Identity:
    """Who a container's processes are, and what they may not do."""

    uid: int = 0
    gid: int = 0
    groups: tuple[int, ...] = (0,)
    home: str = "/root"
    no_new_privs: bool = False
    read_only_root: bool = False
    drop_caps: tuple[int, ...] = ()  # beyond the runtime's defaults

    def init_fields(self) -> dict[str, Any]:
        """What `_ctrinit` reads from its spec."""
        return {
            "ids": [self.uid, self.gid, list(self.groups)],
            "noNewPrivs": self.no_new_privs,
            "readOnlyRoot": self.read_only_root,
            "dropCaps": list(self.drop_caps),
        }

    def enter_flags(self) -> list[str]:
        """`_ctrinit --enter`'s options: kubectl exec runs as the container's user."""
        flags = [f"--ids={self.uid}:{self.gid}:{','.join(map(str, self.groups))}"]
        if self.no_new_privs:
            flags.append("--no-new-privs")
        if self.drop_caps:
            flags.append(f"--drop-caps={','.join(map(str, self.drop_caps))}")
        return flags


def _entries(text: str) -> list[list[str]]:
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def identity(pod: Obj, container: Obj, image_user: str, *, passwd: str, group: str) -> Identity:
    """The container's processes' identity (see the module's docstring). A USER name the
    image's /etc/passwd does not list cannot run, as containerd refuses it."""
    users = [e for e in _entries(passwd) if len(e) >= 6]
    run_as_user = _effective(pod, container, "runAsUser")
    run_as_group = _effective(pod, container, "runAsGroup")
    image_gid: int | None = None
    if run_as_user is not None:
        uid = int(run_as_user)
        entry = next((e for e in users if e[2] == str(uid)), None)
    else:
        name, _, image_group = image_user.partition(":")
        name = name.strip()
        if not name:
            name = "0"
        entry = next((e for e in users if name in (e[0], e[2])), None)
        if entry is None and not name.isdigit():
            raise ConfigError(f"unable to find user {name}: no matching entries in passwd file")
        uid = int(entry[2]) if entry is not None else int(name)
        if image_group.strip().isdigit():
            image_gid = int(image_group)
    if run_as_group is not None:
        gid = int(run_as_group)
    elif image_gid is not None:
        gid = image_gid
    else:
        gid = int(entry[3]) if entry is not None and entry[3].isdigit() else 0
    pod_context = (pod.get("spec") or {}).get("securityContext") or {}
    groups = {gid}
    if entry is not None and pod_context.get("supplementalGroupsPolicy") != "Strict":
        for line in _entries(group):
            if len(line) >= 4 and line[2].isdigit() and entry[0] in line[3].split(","):
                groups.add(int(line[2]))
    if pod_context.get("fsGroup") is not None:
        groups.add(int(pod_context["fsGroup"]))
    groups.update(int(g) for g in pod_context.get("supplementalGroups") or ())
    own = container.get("securityContext") or {}
    return Identity(
        uid=uid,
        gid=gid,
        groups=tuple(sorted(groups)),
        home=entry[5] if entry is not None and entry[5] else "/",
        no_new_privs=own.get("allowPrivilegeEscalation") is False,
        read_only_root=own.get("readOnlyRootFilesystem") is True,
        drop_caps=dropped_capabilities(container),
    )


ROOT = Identity()  # the image's default user when it names none, and kubesim's own programs
