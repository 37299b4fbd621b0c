"""The per-run view of the cluster: each (apiVersion, kind, namespace) is LISTed once.

Checks of a run share one Snapshot, so ten checks on Deployments in `lab` cost one LIST.
A `within` retry forgets only the lists its failing checks read, and they are read again.
Log tails are kept the same way: failing checks around one Deployment share its pods' logs.
"""

from __future__ import annotations

from typing import Any

from checker._client import ReadOnlyClient, Resource

Key = tuple[str, str, str]  # (apiVersion, kind, namespace or "")


class Snapshot:
    def __init__(self, client: ReadOnlyClient) -> None:
        self.client = client
        self._lists: dict[Key, list[dict[str, Any]]] = {}
        self._logs: dict[tuple[str, str, str, int, bool], str | None] = {}

    def resource(self, api_version: str, kind: str) -> Resource | None:
        return self.client.resource(api_version, kind)

    @staticmethod
    def key(resource: Resource, namespace: str | None) -> Key:
        return (
            resource.api_version,
            resource.kind,
            (namespace or "") if resource.namespaced else "",
        )

    def objects(self, resource: Resource, namespace: str | None) -> list[dict[str, Any]]:
        key = self.key(resource, namespace)
        if key not in self._lists:
            self._lists[key] = self.client.list_objects(resource, key[2] or None)
        return self._lists[key]

    def objects_of(self, api_version: str, kind: str, namespace: str | None) -> list[dict]:
        resource = self.resource(api_version, kind)
        return [] if resource is None else self.objects(resource, namespace)

    def log(
        self, namespace: str, pod: str, container: str, *, tail_lines: int, previous: bool
    ) -> str | None:
        key = (namespace, pod, container, tail_lines, previous)
        if key not in self._logs:
            self._logs[key] = self.client.read_log(
                namespace, pod, container, tail_lines=tail_lines, previous=previous
            )
        return self._logs[key]

    def forget(self, keys: set[Key]) -> None:
        """Read these lists again on next use; forgetting a namespace's pods forgets their
        logs too (a `log` check waits for a line that a running container has yet to print)."""
        for key in keys:
            self._lists.pop(key, None)
        pod_namespaces = {
            ns for api_version, kind, ns in keys if (api_version, kind) == ("v1", "Pod")
        }
        for log_key in [k for k in self._logs if k[0] in pod_namespaces]:
            del self._logs[log_key]
