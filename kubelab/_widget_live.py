"""A live view of the lab cluster in a notebook: nodes as boxes, pods as chips.

    from kubelab.notebook import cluster_view
    cluster_view("lab-03")        # opens in the cell's output; .stop() ends the watches

Each chip says the pod's state in words as well as colour (Running, Ready 0/1,
CrashLoopBackOff, Terminating, ...) and its restart count. The view is kept current by two
watches (nodes, and pods of one namespace) through the official client's `watch.Watch`,
the reflector pattern: LIST for a resourceVersion, WATCH from it, resume from the last
version seen, LIST again when the server says 410 Gone. Reads only (GET and WATCH), like the
checker, and only through the lab's own kubeconfig.

The rendering is pure (`view_html`, `pod_chip`); the watching is `ClusterView`.
"""

from __future__ import annotations

import contextlib
import html
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from kubelab._kubeconfig import require_lab_kubeconfig

STYLE = """<style>
.kl-live{font-family:var(--jp-ui-font-family,sans-serif);font-size:12px;line-height:1.4}
.kl-live .kl-nodes{display:flex;flex-wrap:wrap;gap:8px}
.kl-live .kl-node{border:2px solid #1a7f37;border-radius:6px;padding:4px 6px;flex:1 1 16em;
 min-width:14em;max-width:30em;background:var(--jp-layout-color1,#fff)}
.kl-live .kl-node.kl-unplaced{border:2px dashed #6e7781}
.kl-live .kl-node.kl-notready{border-color:#c62828;background:rgba(198,40,40,.06)}
.kl-live .kl-node.kl-cordoned{border-style:dashed}
.kl-live .kl-node-head{font-weight:bold;margin-bottom:3px}
.kl-live .kl-node-head span{font-weight:normal;color:#555}
.kl-live .kl-pod{display:inline-block;margin:2px;padding:1px 6px;border-radius:8px;
 color:#fff;background:#6e7781;max-width:100%;overflow-wrap:anywhere}
.kl-live .kl-ready{background:#1a7f37}.kl-live .kl-starting{background:#b26a00}
.kl-live .kl-pending{background:#0b61a4}.kl-live .kl-bad{background:#c62828}
.kl-live .kl-done{background:#8c959f}.kl-live .kl-terminating{background:#6e7781;
 text-decoration:line-through}
.kl-live .kl-meta{color:#555;margin-top:4px}
</style>"""


# -- pure: what a pod and a node look like ------------------------------------------------


def pod_state(pod: dict[str, Any]) -> tuple[str, str]:
    """(css class, words) for a pod, the way `kubectl get pods` would summarise it."""
    meta, status = pod.get("metadata", {}), pod.get("status", {}) or {}
    phase = status.get("phase") or "Pending"
    statuses = status.get("containerStatuses") or []
    if meta.get("deletionTimestamp"):
        return "kl-terminating", "Terminating"
    for cs in statuses:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") and waiting["reason"] not in (
            "ContainerCreating",
            "PodInitializing",
        ):
            return "kl-bad", waiting["reason"]
        terminated = (cs.get("state") or {}).get("terminated") or {}
        if terminated.get("reason") and phase == "Running":
            return "kl-bad", terminated["reason"]
    if phase == "Succeeded":
        return "kl-done", "Completed"
    if phase == "Failed":
        return "kl-bad", status.get("reason") or "Failed"
    if phase == "Pending":
        if not (pod.get("spec") or {}).get("nodeName"):
            return "kl-pending", "Pending (unscheduled)"
        return "kl-pending", "ContainerCreating"
    ready = sum(bool(cs.get("ready")) for cs in statuses)
    total = len(statuses) or len((pod.get("spec") or {}).get("containers") or [])
    if statuses and ready == total:
        return "kl-ready", f"Running {ready}/{total}"
    return "kl-starting", f"Running, Ready {ready}/{total}"


def restarts(pod: dict[str, Any]) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return sum(int(cs.get("restartCount") or 0) for cs in statuses)


def pod_chip(pod: dict[str, Any]) -> str:
    css, words = pod_state(pod)
    name = pod["metadata"]["name"]
    count = restarts(pod)
    extra = f", {count} restart{'s' if count != 1 else ''}" if count else ""
    return (
        f"<span class='kl-pod {css}' title='{html.escape(name)}: {html.escape(words)}{extra}'>"
        f"{html.escape(name)} &middot; {html.escape(words)}{extra}</span>"
    )


def node_state(node: dict[str, Any]) -> tuple[bool, bool]:
    """(Ready, cordoned)."""
    conditions = (node.get("status") or {}).get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return ready, bool((node.get("spec") or {}).get("unschedulable"))


def view_html(
    nodes: list[dict[str, Any]], pods: list[dict[str, Any]], *, namespace: str, note: str = ""
) -> str:
    """Every node as a box holding its pods' chips; unscheduled pods in a box of their own."""
    by_node: dict[str, list[dict[str, Any]]] = {}
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        by_node.setdefault((pod.get("spec") or {}).get("nodeName") or "", []).append(pod)
    boxes = []
    for node in sorted(nodes, key=lambda n: n["metadata"]["name"]):
        name = node["metadata"]["name"]
        ready, cordoned = node_state(node)
        css = ("" if ready else " kl-notready") + (" kl-cordoned" if cordoned else "")
        words = ("Ready" if ready else "NotReady") + (", SchedulingDisabled" if cordoned else "")
        chips = "".join(pod_chip(p) for p in by_node.pop(name, [])) or "<i>no pods</i>"
        boxes.append(
            f"<div class='kl-node{css}'><div class='kl-node-head'>{html.escape(name)} "
            f"<span>{words}</span></div>{chips}</div>"
        )
    for name, unplaced in sorted(by_node.items()):
        label = "not scheduled" if not name else f"{name} (node not found)"
        chips = "".join(pod_chip(p) for p in unplaced)
        boxes.append(
            f"<div class='kl-node kl-unplaced'><div class='kl-node-head'>{html.escape(label)}"
            f"</div>{chips}</div>"
        )
    meta = f"Pods in namespace <b>{html.escape(namespace)}</b>, kept current by a watch. {note}"
    return (
        f"{STYLE}<div class='kl-live'><div class='kl-nodes'>{''.join(boxes)}</div>"
        f"<div class='kl-meta'>{meta}</div></div>"
    )


def view_text(nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> str:
    lines = []
    for node in sorted(nodes, key=lambda n: n["metadata"]["name"]):
        ready, cordoned = node_state(node)
        name = node["metadata"]["name"]
        lines.append(
            f"{name}: {'Ready' if ready else 'NotReady'}{' (cordoned)' if cordoned else ''}"
        )
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") == name:
                lines.append(f"  {pod['metadata']['name']}: {pod_state(pod)[1]}")
    return "\n".join(lines)


# -- the watches ---------------------------------------------------------------------------


class ClusterView:
    """Nodes and the pods of one namespace, kept current by watches in background threads."""

    def __init__(
        self,
        namespace: str,
        *,
        api_factory: Callable[[], Any] | None = None,
        on_change: Callable[[ClusterView], None] | None = None,
    ) -> None:
        self.namespace = namespace
        self._api_factory = api_factory or _lab_api
        self._on_change = on_change
        self.nodes: dict[str, dict[str, Any]] = {}
        self.pods: dict[str, dict[str, Any]] = {}
        self.error: str = ""
        self.updated = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._widget: Any = None

    def start(self) -> ClusterView:
        from kubernetes import client

        api = client.CoreV1Api(self._api_factory())
        watches = [
            (self.nodes, api.list_node, {}),
            (self.pods, api.list_namespaced_pod, {"namespace": self.namespace}),
        ]
        for store, lister, kwargs in watches:
            thread = threading.Thread(
                target=self._reflect, args=(store, lister, kwargs), daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """End the watches (they close within a few seconds)."""
        self._stop.set()

    def _reflect(self, store: dict[str, dict[str, Any]], lister: Any, kwargs: dict) -> None:
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException

        version = ""
        while not self._stop.is_set():
            try:
                if not version:  # LIST for the state and a version to watch from
                    listed = lister(_preload_content=False, **kwargs)
                    body = json.loads(listed.data)
                    with self._lock:
                        store.clear()
                        store.update({o["metadata"]["name"]: o for o in body.get("items", [])})
                    version = body["metadata"]["resourceVersion"]
                    self._changed("")
                stream = watch.Watch().stream(
                    lister, resource_version=version, timeout_seconds=5, **kwargs
                )
                for event in stream:
                    if self._stop.is_set():
                        break
                    obj = event["raw_object"]
                    if event["type"] == "ERROR":
                        version = ""  # 410 Gone: LIST again
                        break
                    version = obj["metadata"].get("resourceVersion", version)
                    with self._lock:
                        if event["type"] == "DELETED":
                            store.pop(obj["metadata"]["name"], None)
                        else:
                            store[obj["metadata"]["name"]] = obj
                    self._changed("")
            except ApiException as exc:
                version = "" if exc.status == 410 else version
                self._changed(f"The API server answered {exc.status} {exc.reason}; retrying.")
                self._stop.wait(1.0)
            except Exception as exc:  # noqa: BLE001 - the view says it, then tries again
                self._changed(f"Lost the watch ({type(exc).__name__}); retrying.")
                self._stop.wait(1.0)

    def _changed(self, error: str) -> None:
        self.error = error
        self.updated = time.monotonic()
        if self._widget is not None:
            self._widget.children[0].value = self.html()
        if self._on_change is not None:
            self._on_change(self)

    # -- views ----------------------------------------------------------------------------

    def snapshot(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        with self._lock:
            return list(self.nodes.values()), list(self.pods.values())

    def html(self) -> str:
        nodes, pods = self.snapshot()
        note = html.escape(self.error) if self.error else ""
        if self._stop.is_set():
            note += " Stopped: run the cell again to watch again."
        return view_html(nodes, pods, namespace=self.namespace, note=note)

    def __repr__(self) -> str:
        return view_text(*self.snapshot()) or f"(no nodes seen yet in {self.namespace})"

    def widget(self) -> Any:
        if self._widget is None:
            import ipywidgets as w

            stop = w.Button(description="Stop watching", icon="stop")
            box = w.VBox([w.HTML(self.html()), stop])
            box.add_class("kubelab-cluster-view")

            def on_stop(_: Any) -> None:
                self.stop()
                stop.disabled = True
                box.children[0].value = self.html()

            stop.on_click(on_stop)
            self._widget = box
            # a watch that changed the store while the box was built found no widget to
            # update; draw once more now that it has one, or the view stays stale until the
            # next event (none, for a settled namespace)
            box.children[0].value = self.html()
        return self._widget

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        nodes, pods = self.snapshot()  # what a saved notebook shows, reopened without a kernel
        bundle: dict[str, Any] = {
            "text/html": view_html(nodes, pods, namespace=self.namespace, note=SNAPSHOT)
        }
        with contextlib.suppress(Exception):  # no ipywidgets: the static view is enough
            bundle.update(self.widget()._repr_mimebundle_())
        bundle["text/plain"] = repr(self)
        return bundle


SNAPSHOT = "A snapshot from when this cell ran: run it again to watch the cluster live."


def _lab_api() -> Any:
    """An ApiClient on the lab's own kubeconfig, after the guard approved it."""
    from kubernetes.config import new_client_from_config

    return new_client_from_config(config_file=str(require_lab_kubeconfig().path))


def _context_namespace() -> str:
    import yaml

    info = require_lab_kubeconfig()
    data = yaml.safe_load(info.path.read_text()) or {}
    for ctx in data.get("contexts") or []:
        if ctx.get("name") == info.context:
            return str((ctx.get("context") or {}).get("namespace") or "default")
    return "default"


def cluster_view(namespace: str | None = None) -> ClusterView:
    """Open a live view of the nodes and the pods of `namespace` (default: the context's)."""
    view = ClusterView(namespace or _context_namespace())
    return view.start()
