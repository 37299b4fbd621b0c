"""Who a container's processes are (`_securitycontext.identity`), as containerd's CRI plugin
reads a securityContext and the image's USER, /etc/passwd and /etc/group."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.kubelet._env import ConfigError
from kubesim.kubelet._rootfs import GROUP, PASSWD
from kubesim.kubelet._securitycontext import Identity, dropped_capabilities, identity


def _pod(**context: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "spec": {"securityContext": context}}


def _who(pod: dict[str, Any], container: dict[str, Any] | None = None, user: str = "") -> Identity:
    return identity(pod, container or {"name": "c"}, user, passwd=PASSWD, group=GROUP)


def test_an_image_without_user_runs_as_root() -> None:
    assert _who(_pod()) == Identity(uid=0, gid=0, groups=(0,), home="/root")


def test_the_images_numeric_user_and_group() -> None:
    who = _who(_pod(), user="10001:10001")
    assert (who.uid, who.gid, who.groups, who.home) == (10001, 10001, (10001,), "/")


def test_the_docs_security_context_demo() -> None:
    pod = _pod(runAsUser=1000, runAsGroup=3000, fsGroup=2000, supplementalGroups=[4000])
    container = {"name": "c", "securityContext": {"allowPrivilegeEscalation": False}}
    who = _who(pod, container, user="10001:10001")
    assert (who.uid, who.gid, who.groups) == (1000, 3000, (2000, 3000, 4000))
    assert who.no_new_privs and not who.read_only_root


def test_the_containers_fields_win_over_the_pods() -> None:
    container = {
        "name": "c",
        "securityContext": {"runAsUser": 2000, "readOnlyRootFilesystem": True},
    }
    who = _who(_pod(runAsUser=1000), container)
    assert (who.uid, who.gid, who.read_only_root) == (2000, 0, True)


def test_a_user_name_is_looked_up_and_an_unknown_one_cannot_run() -> None:
    assert _who(_pod(), user="nobody").uid == 65534
    assert _who(_pod(), user="nobody").gid == 65534
    with pytest.raises(ConfigError, match="unable to find user nginx"):
        _who(_pod(), user="nginx")


def test_group_membership_is_merged_unless_strict() -> None:
    passwd = PASSWD + "app:x:1000:1000::/home/app:/bin/sh\n"
    group = GROUP + "extra:x:50000:app\n"
    merged = identity(_pod(), {"name": "c"}, "app", passwd=passwd, group=group)
    assert (merged.uid, merged.gid, merged.groups, merged.home) == (
        1000, 1000, (1000, 50000), "/home/app",
    )  # fmt: skip
    strict = _pod(supplementalGroupsPolicy="Strict")
    assert identity(strict, {"name": "c"}, "app", passwd=passwd, group=group).groups == (1000,)


def test_dropped_capabilities_by_name() -> None:
    def drop(*names: str) -> tuple[int, ...]:
        return dropped_capabilities({"securityContext": {"capabilities": {"drop": list(names)}}})

    assert drop("NET_RAW", "CAP_CHOWN") == (0, 13)
    assert drop("ALL") == tuple(range(41))
    assert drop("NOT_A_CAP") == ()
