"""One node's kubelet: runs the pods bound to its node as processes and reports what they do.

Per pod, a `PodWorker` task walks the lifecycle a real kubelet walks: sandbox (pod IP),
image pull (catalog or ErrImagePull/ImagePullBackOff), environment (or
CreateContainerConfigError), start, probes, exit, restart with back-off, and graceful
termination when the pod is deleted. Every status it writes comes from a process's real
behaviour (`_process`), never from a script. Events carry the kubelet's reasons and
messages, with `involvedObject.fieldPath` `spec.containers{name}` as the kubelet sets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesim.apiserver.api import DeleteOptions
from kubesim.apiserver.meta import qos_class
from kubesim.client import timers
from kubesim.client.informer import Informer
from kubesim.client.recorder import EventRecorder
from kubesim.core import podlevel
from kubesim.core.errors import ApiError, Conflict, NotFound
from kubesim.core.objects import deepcopy, parse_time
from kubesim.kubelet import (
    _env,
    _eviction,
    _grpcprobe,
    _hooks,
    _podstate,
    _probes,
    _resize,
    _securitycontext,
)
from kubesim.kubelet._dnsconfig import PodDns, host_alias_lines, pod_dns
from kubesim.kubelet._evictionmanager import EvictionManager
from kubesim.kubelet._images import Image, InvalidImageName, PullError, pull
from kubesim.kubelet._mounts import Mount
from kubesim.kubelet._podstate import ContainerRecord
from kubesim.kubelet._probes import ProbeResult
from kubesim.kubelet._process import Exit, Limits, Network, Running, Runtime, read_log
from kubesim.kubelet._quantity import cpu_millis, memory_bytes
from kubesim.kubelet._rootfs import CLUSTER_DNS, GROUP, PASSWD
from kubesim.kubelet._volumemanager import SYNC_PERIOD, VolumeManager
from kubesim.network._dns import search_path
from kubesim.network.fabric import Fabric, FabricError, LoopbackNet, Sandbox

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

log = logging.getLogger("kubesim.kubelet")
Obj = dict[str, Any]
PULL_BACKOFF_INITIAL = 10.0
# kuberuntime's minimumGracePeriodInSeconds: what a SIGTERM gets after a long preStop hook
MINIMUM_GRACE_SECONDS = 2.0
HOOK_HTTP_TIMEOUT = 10.0  # real seconds for a postStart httpGet hook's answer
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"  # kind's sandbox image
# kubecontainer.MaxContainerTerminationMessageLength, ...LogLines, ...LogLength
MAX_TERMINATION_MESSAGE = 4096
TERMINATION_LOG_LINES = 80
TERMINATION_LOG_BYTES = 2048
# active_deadline.go
DEADLINE_EXCEEDED = "DeadlineExceeded"
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
PULL_BACKOFF_MAX = 300.0
MOUNT_BACKOFF_INITIAL = 0.5  # nestedpendingoperations: a failed mount retries after 500ms,
MOUNT_BACKOFF_MAX = 122.0  # doubling up to 2m2s
# Virtual time (tests): how long, in real seconds, a started container holds cluster time
# still: with a readiness or startup probe until it is ready (at most NOT_READY_HOLD),
# without one for FRESH_HOLD.
NOT_READY_HOLD = 30.0
FRESH_HOLD = 3.0
RESIZE_RESTART_WAIT = 60.0  # real seconds a resize waits for its restarted container


@dataclass(frozen=True)
class NodeNetwork:
    """A node's pod CIDR (10.244.N.0/24), its address, and the cluster DNS hosts file; the
    cluster network (`fabric`) when it runs, else the loopback shim (`net_id`)."""

    index: int
    host_ip: str
    hosts_file: Path
    net_id: int = 0
    fabric: Fabric | None = None

    @property
    def in_fabric(self) -> bool:
        return self.fabric is not None and self.fabric.running

    async def dial(
        self, host: str, port: int, *, pod_uid: str | None = None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect as this node does (`pod_uid`: from inside that pod, port-forward's way)."""
        if self.fabric is not None and self.fabric.running:
            return await self.fabric.open_connection(host, port, pod_uid=pod_uid)
        return await LoopbackNet(self.net_id).open_connection(host, port, pod_uid=pod_uid)


class Kubelet:
    def __init__(
        self,
        api: Api,
        *,
        node: str,
        runtime: Runtime,
        network: NodeNetwork,
        sync_period: float = SYNC_PERIOD,
    ) -> None:
        self.api = api
        self.node = node
        self.runtime = runtime
        self.network = network
        self.sync_period = sync_period  # cluster seconds between a pod's volume resyncs
        self.volumes = VolumeManager(api, root=runtime.root, node=node)
        self.recorder = EventRecorder(api, component="kubelet", host=node)
        self.workers: dict[str, PodWorker] = {}
        self._pods_res = api.resource("", "v1", "pods")
        self._ips: dict[str, str] = {}  # pod uid -> IP
        self._last_host = 1  # the last address handed out (10.244.N.<host>)
        self._task: asyncio.Task[None] | None = None
        self.eviction = EvictionManager(self)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name=f"kubelet-{self.node}")
            self.api.clock.add_hold(f"kubelet {self.node}", self.in_transition)

    def in_transition(self) -> str | None:
        """Why this node holds cluster time still (a pod whose processes live real time
        that a jump would cheat), or None: see `PodWorker.transition`."""
        for worker in list(self.workers.values()):
            why = worker.transition()
            if why:
                return f"pod {worker.namespace}/{worker.name}: {why}"
        return None

    async def stop(self) -> None:
        """The node goes dark: its processes die with it and nothing more is reported."""
        self.api.clock.remove_hold(f"kubelet {self.node}")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        workers, self.workers = list(self.workers.values()), {}
        await asyncio.gather(*(w.kill() for w in workers), return_exceptions=True)

    async def _run(self) -> None:
        pods = self.api.list(self._pods_res, None).objects()
        self.volumes.remove_orphans({p["metadata"]["uid"] for p in pods})
        informer = Informer(self.api, self._pods_res, field_selector=f"spec.nodeName={self.node}")
        informer.on_change(self._on_pod)
        evictions = asyncio.create_task(self.eviction.run(), name=f"eviction-{self.node}")
        try:
            await informer.run()
        finally:
            evictions.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await evictions
            workers, self.workers = list(self.workers.values()), {}
            await asyncio.gather(*(w.kill() for w in workers), return_exceptions=True)

    def _on_pod(self, kind: str, pod: Obj, previous: Obj | None) -> None:
        uid = pod["metadata"]["uid"]
        if kind == "DELETED":
            worker = self.workers.pop(uid, None)
            if worker is not None:
                asyncio.create_task(self._forget(worker))
            self._ips.pop(uid, None)
            return
        worker = self.workers.get(uid)
        if worker is None:
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp"):
                return  # finished before a restart of kubesim: nothing to run
            worker = PodWorker(self, pod)
            self.workers[uid] = worker
            refused = None
            if not (pod.get("status") or {}).get("containerStatuses"):  # a new pod: admit it
                refused = _eviction.admission(
                    pod, qos=qos_class(pod), memory_pressure=self.eviction.pressure
                )
            if refused is not None:
                worker.reject(refused)
            elif worker.ended_by_reboot:
                worker.end_without_sandbox()
            else:
                worker.start()
        worker.update(pod)
        ended = ("Succeeded", "Failed")
        if (pod.get("status") or {}).get("phase") in ended and (
            (previous or {}).get("status") or {}
        ).get("phase") not in ended:
            for other in list(self.workers.values()):  # a pod ended: room freed
                if other is not worker:
                    other.retry_deferred_resize()

    async def _forget(self, worker: PodWorker) -> None:
        await worker.kill()
        self.volumes.remove(worker.uid)
        for other in list(self.workers.values()):  # room freed: deferred resizes try again
            other.retry_deferred_resize()

    def requested_besides(self, uid: str) -> tuple[int, int]:
        """The cpu and memory requests this node has allocated to its other pods."""
        cpu = memory = 0
        for other in self.workers.values():
            if other.uid != uid and other.active():
                more = _resize.requested(other.allocated, other.pod.get("spec") or {})
                cpu, memory = cpu + more[0], memory + more[1]
        return cpu, memory

    def allocatable(self) -> Obj:
        node = self.api.get(self.api.resource("", "v1", "nodes"), None, self.node)
        return dict((node.get("status") or {}).get("allocatable") or {})

    # -- pod IPs ---------------------------------------------------------------------------

    def allocate_ip(self, pod: Obj) -> str:
        if (pod.get("spec") or {}).get("hostNetwork"):
            return self.network.host_ip  # host-network pods share the node's address
        uid = pod["metadata"]["uid"]
        existing = (pod.get("status") or {}).get("podIP")
        if existing:
            self._ips[uid] = existing
            return existing
        if uid in self._ips:
            return self._ips[uid]
        # host-local IPAM (kindnet's): round-robin from the address after the last one
        # handed out, so a replaced pod gets a new IP, as on kind
        taken = set(self._ips.values())
        hosts = range(2, 255)
        after_last = (self._last_host + 1 - hosts.start) % len(hosts)
        for step in range(len(hosts)):
            host = hosts[(after_last + step) % len(hosts)]
            ip = f"10.244.{self.network.index}.{host}"
            if ip not in taken:
                self._ips[uid] = ip
                self._last_host = host
                return ip
        raise RuntimeError(f"pod CIDR of {self.node} is full")

    # -- reads for the API hooks -----------------------------------------------------------

    def worker_for(self, uid: str) -> PodWorker | None:
        return self.workers.get(uid)


class PodWorker:
    """Runs one pod. `update` hands it the newest object; it reacts to deletion."""

    def __init__(self, kubelet: Kubelet, pod: Obj) -> None:
        self.kubelet = kubelet
        self.api = kubelet.api
        self.pod = deepcopy(pod)
        self.uid = pod["metadata"]["uid"]
        spec = pod["spec"]
        # With init containers every container waits as PodInitializing, not ContainerCreating.
        initializing = {"waiting": {"reason": "PodInitializing"}}
        self.init_records = {
            c["name"]: ContainerRecord(
                name=c["name"],
                image=c.get("image", ""),
                state=deepcopy(initializing),
                sidecar=c.get("restartPolicy") == "Always",
            )
            for c in spec.get("initContainers") or []
        }
        self.records = {
            c["name"]: ContainerRecord(name=c["name"], image=c.get("image", ""))
            for c in spec.get("containers", [])
        }
        if self.init_records:
            for rec in self.records.values():
                rec.state = deepcopy(initializing)
        # `kubectl debug`: added to a running pod through pods/ephemeralcontainers, run once
        self.ephemeral_records: dict[str, ContainerRecord] = {}
        self._ephemeral_tasks: list[asyncio.Task[bool]] = []
        self._adopt_previous_status(pod)
        self.running: dict[str, Running] = {}
        self.mounts: dict[str, list[Mount]] = {}  # each container's resolved volumeMounts
        self.pod_ip = ""
        self.sandbox: Sandbox | None = None  # its network namespace in the fabric
        self._pause: Running | None = None  # shareProcessNamespace: the PID namespace's init
        self.terminating = asyncio.Event()
        # the status as stored after this worker's last write: a pod event whose status
        # differs (a snapshot restore, another writer) makes it write its own again
        self._written: Obj | None = None
        self._reconciling: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._container_tasks: list[asyncio.Task[None]] = []
        self._status_lock = asyncio.Lock()
        self._finished = False
        self.terminal = False  # deleted and stopped: the status ends Succeeded or Failed
        # the eviction manager's message: `evicting` from the moment it decides (no second
        # eviction), `evicted` in the status once the containers are stopped, in one update
        # (eviction_manager.go evictPod: never "Evicted" beside a running container)
        self.evicting: str | None = None
        self.evicted: str | None = None
        self.rejected = False  # refused at admission: no DisruptionTarget, nothing ran
        # spec.activeDeadlineSeconds passed (active_deadline.go): its containers stopped,
        # the pod Failed with reason DeadlineExceeded
        self.deadline_exceeded = False
        self._deadline: asyncio.Task[None] | None = None
        # each container's termination-message file for its current run (None: process mode)
        self._message_files: dict[str, Path | None] = {}
        self._starting = 0  # a sandbox or a container being created
        self._started_real: dict[str, float] = {}  # container -> time.monotonic() at start
        # container -> set once its first start returned (pull failed, start failed, or it
        # runs and its postStart hook is done): the next container starts only then
        self._first_start: dict[str, asyncio.Event] = {}
        # in-place resize (`_resize`): what each resizable container is allocated, what its
        # running process is configured with, the two conditions, and the containers
        # being restarted for a resize (no back-off; their restart counts)
        self.allocated: dict[str, Obj] = _resize.desired(spec)
        self.actual: dict[str, Obj] = {}
        self._resize_pending: Obj | None = None
        self._resize_progress: Obj | None = None
        self._resize_restarts: set[str] = set()
        self._resize_lock = asyncio.Lock()
        self._resize_retry: asyncio.Task[None] | None = None
        self._adopt_allocation(pod)

    def _adopt_previous_status(self, pod: Obj) -> None:
        """After a kubesim restart (the node rebooted: every process is gone), what the
        kubelet's computePodActions does with the pod's old containers. A pod that may
        restart gets a new sandbox: its running containers start again as restarts (the
        last state `Unknown`, 255), except one that had succeeded under OnFailure. A pod
        under restartPolicy Never that ran gets no new sandbox: its running containers end
        `Unknown` and it ends Failed (`ended_by_reboot`), as on a kind node after
        `docker restart`; a Job then counts the failure and replaces it."""
        policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        self.ended_by_reboot = policy == "Never" and any(
            "waiting" not in (s.get("state") or {}) or s.get("lastState") for s in statuses
        )
        now = self.api.clock.rfc3339()
        for status in statuses:
            rec = self.records.get(status.get("name"))
            if rec is None:
                continue
            rec.restart_count = int(status.get("restartCount") or 0)
            rec.container_id = str(status.get("containerID") or "")
            state = status.get("state") or {}
            if "running" in state:
                gone = {
                    "exitCode": 255,
                    "reason": "Unknown",
                    "startedAt": state["running"].get("startedAt"),
                }
                if self.ended_by_reboot:
                    rec.state = {"terminated": {**gone, "finishedAt": now}}
                    rec.ever_ran = True
                else:
                    rec.restart_count += 1
                    rec.last_state = {"terminated": gone}
                continue
            if status.get("lastState"):
                rec.last_state = status["lastState"]
            done = state.get("terminated")
            if done is not None and (
                self.ended_by_reboot
                or not _podstate.should_restart(policy, int(done.get("exitCode") or 0))
            ):
                rec.state = {"terminated": dict(done)}  # finished: not run again
                rec.ever_ran = True
        for status in (pod.get("status") or {}).get("initContainerStatuses") or []:
            init = self.init_records.get(status.get("name"))
            if init is not None:  # init containers run again after the restart, counts kept
                init.restart_count = int(status.get("restartCount") or 0)

    def _adopt_allocation(self, pod: Obj) -> None:
        """After a kubesim restart, a container keeps the resources its status says it ran
        with: a resize still pending then is decided again, not taken as allocated."""
        status = pod.get("status") or {}
        for each in [*(status.get("containerStatuses") or []), *(status.get("initContainerStatuses") or [])]:  # fmt: skip
            if each.get("name") in self.allocated and each.get("resources"):
                self.allocated[each["name"]] = deepcopy(each["resources"])

    def record_for(self, container: str) -> ContainerRecord | None:
        return (
            self.records.get(container)
            or self.init_records.get(container)
            or self.ephemeral_records.get(container)
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"pod-{self.pod['metadata']['name']}")

    def update(self, pod: Obj) -> None:
        deadline = (self.pod.get("spec") or {}).get("activeDeadlineSeconds")
        generation = self.pod["metadata"].get("generation")
        marks = _marks(self.pod)
        self.pod = deepcopy(pod)
        if pod["metadata"].get("deletionTimestamp"):
            self.terminating.set()
        elif _marks(pod) != marks and self.mounts:
            # a pod update is a sync of the pod: its configMap, secret and downwardAPI
            # volumes are set up again at once (the docs' "trigger an immediate refresh by
            # updating one of the pod's annotations"), not at the next periodic sync
            for message in self.kubelet.volumes.setup(self.pod):
                self._event("Warning", "FailedMount", message)
        # the deadline may be set or shortened on a running pod (ValidatePodUpdate allows
        # it): the kubelet reads the current spec on every sync, so re-arm the timer
        if pod["spec"].get("activeDeadlineSeconds") != deadline and self.pod_ip:
            self._arm_deadline()
        self._start_ephemeral()
        if self._task is not None and not self.terminating.is_set() and not self.terminal:
            self._check_resize()
        if self._written is not None and (
            (pod.get("status") or {}) != self._written
            or pod["metadata"].get("generation") != generation  # a new spec to say it saw
        ):
            self._reconcile()

    # -- in-place resize ----------------------------------------------------------------

    def _check_resize(self) -> None:
        """handlePodResourcesResize: on a spec whose cpu or memory differ from the
        allocation, allocate it (PodResizeInProgress, then actuate) or say why not
        (PodResizePending Infeasible or Deferred). Level-triggered: called on every update."""
        want = _resize.desired(self.pod.get("spec") or {})
        generation = int(self.pod["metadata"].get("generation") or 1)
        now = self.api.clock.rfc3339()
        if not _resize.changed(want, self.allocated):
            if self._resize_pending is not None:
                self._resize_pending = None
                asyncio.create_task(self.publish())
            return
        verdict = _resize.decide(
            _resize.requested(want, self.pod.get("spec") or {}),
            self.kubelet.allocatable(),
            self.kubelet.requested_besides(self.uid),
        )
        if verdict.reason:
            before = self._resize_pending or {}
            if (before.get("reason"), before.get("message")) != (verdict.reason, verdict.message):
                self._resize_pending = _resize.condition(
                    _resize.PENDING,
                    now=now,
                    generation=generation,
                    reason=verdict.reason,
                    message=verdict.message,
                )
                infeasible = verdict.reason == _resize.INFEASIBLE
                self._event(
                    "Warning",
                    "ResizeInfeasible" if infeasible else "ResizeDeferred",
                    _resize.event_message(
                        verdict.reason, self.pod.get("spec") or {}, generation, verdict.message
                    ),
                )
                asyncio.create_task(self.publish())
            if verdict.reason == _resize.DEFERRED and (
                self._resize_retry is None or self._resize_retry.done()
            ):
                self._resize_retry = asyncio.create_task(self._retry_resize())
            return
        self.allocated = want
        self._resize_pending = None
        self._resize_progress = _resize.condition(
            _resize.IN_PROGRESS, now=now, generation=generation
        )
        self._event(
            "Normal",
            "ResizeStarted",
            _resize.event_message("started", self.pod.get("spec") or {}, generation),
        )
        asyncio.create_task(self.publish())
        self._kick_resize()

    def active(self) -> bool:
        """filterOutInactivePods: a pod that ended (Succeeded or Failed, evicted, refused)
        holds no room on the node, unless it is still terminating."""
        if self.terminating.is_set() and not self.terminal:
            return True
        ended = (self._written or {}).get("phase") in ("Succeeded", "Failed")
        return not (self.terminal or self.rejected or self.evicted or ended)

    def retry_deferred_resize(self) -> None:
        if (self._resize_pending or {}).get("reason") == _resize.DEFERRED:
            self._check_resize()

    async def _retry_resize(self) -> None:
        delay = _resize.RETRY_FIRST
        while (self._resize_pending or {}).get("reason") == _resize.DEFERRED:
            if await self._sleep(delay):
                return
            delay = _resize.RETRY_EVERY
            self.retry_deferred_resize()

    def _kick_resize(self) -> None:
        """Actuate what is allocated but not yet applied, in a task of its own."""
        asyncio.create_task(self._actuate(), name=f"resize-{self.name}")

    def _applied(self, name: str) -> bool:
        """A container not running starts with its allocation; a running one has it once
        its limits were written (or it was restarted with it)."""
        running = self.running.get(name)
        if running is None or not running.alive() or name not in self.allocated:
            return True
        return not _resize.changed(
            {name: self.allocated[name]}, {name: self.actual.get(name) or {}}
        )

    async def _actuate(self) -> None:
        """SyncPod's resize, level-triggered (computePodResizeAction compares the allocation
        with what the runtime applied, on every sync): a container whose resize policy asks
        for it for a changed resource is restarted; the others get their new limits while
        they run. A limit that cannot be applied leaves PodResizeInProgress with reason
        Error (one ResizeError event per new error) and is tried again a sync later; the
        condition clears, with ResizeCompleted, once every running container has its
        allocation."""
        async with self._resize_lock:
            errors: list[str] = []
            for name, want in list(self.allocated.items()):
                running = self.running.get(name)
                if self._applied(name) or running is None or self.terminating.is_set():
                    continue
                applied = self.actual.get(name) or {}
                if _resize.restart_needed(self._spec_of(name), applied, want):
                    await self._restart_for_resize(name, running)
                    continue
                error = running.set_limits(
                    _limits_of(_with_pod_limits(want.get("limits") or {}, self.pod["spec"]))
                )
                if error:
                    errors.append(error)
                else:
                    self.actual[name] = deepcopy(want)
            progress = self._resize_progress
            if progress is not None and errors:
                message = "; ".join(errors)
                if progress.get("message") != message:
                    self._resize_progress = {**progress, "reason": "Error", "message": message}
                    self._event(
                        "Warning",
                        "ResizeError",
                        _resize.event_message(
                            "error", self.pod.get("spec") or {}, _observed(progress), message
                        ),
                    )
                asyncio.create_task(self._actuate_later())
            elif progress is not None and all(self._applied(n) for n in self.allocated):
                self._resize_progress = None
                self._event(
                    "Normal",
                    "ResizeCompleted",
                    _resize.event_message(
                        "completed", self.pod.get("spec") or {}, _observed(progress)
                    ),
                )
            await self.publish()

    async def _actuate_later(self) -> None:
        if not await self._sleep(SYNC_PERIOD):
            self._kick_resize()

    async def _restart_for_resize(self, name: str, running: Running) -> None:
        """Kill the container ("resize requires restart") and let its loop start it again
        at once, with what is allocated then; return once it runs again (or cannot)."""
        self._resize_restarts.add(name)
        self._event("Normal", "Killing", f"Container {name} resize requires restart", name)
        grace = float(self.pod["spec"].get("terminationGracePeriodSeconds", 30))
        await self._kill(self._spec_of(name), running, grace)
        deadline = time.monotonic() + RESIZE_RESTART_WAIT
        while not self.terminating.is_set() and time.monotonic() < deadline:
            again = self.running.get(name)
            if again is not None and again is not running and again.alive():
                return
            await asyncio.sleep(0.05)

    def _reconcile(self) -> None:
        """The API holds a status this worker did not write (its store was restored from a
        snapshot, or someone else wrote the pod's status): write the worker's own again, as
        the kubelet's status manager does when the API's status differs from its cache
        (status_manager.go syncBatch, needsReconcile). One at a time; publish() writes
        nothing when they already agree."""
        if self._reconciling is None or self._reconciling.done():
            self._reconciling = asyncio.create_task(self.publish(), name=f"reconcile-{self.name}")

    def _start_ephemeral(self) -> None:
        """Start each new ephemeral container once the sandbox exists; one that a previous
        kubesim already ran to its end keeps its reported state and is not run again."""
        if not self.pod_ip or self.terminating.is_set():
            return
        reported = {
            s.get("name"): s
            for s in (self.pod.get("status") or {}).get("ephemeralContainerStatuses") or []
        }
        for spec in self.pod["spec"].get("ephemeralContainers") or []:
            name = spec["name"]
            if name in self.ephemeral_records:
                continue
            rec = ContainerRecord(name=name, image=spec.get("image", ""))
            self.ephemeral_records[name] = rec
            if "terminated" in ((reported.get(name) or {}).get("state") or {}):
                rec.state = reported[name]["state"]
                continue
            self._ephemeral_tasks.append(asyncio.create_task(self._container_loop(spec)))

    # -- helpers ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.pod["metadata"]["name"]

    @property
    def namespace(self) -> str:
        return self.pod["metadata"]["namespace"]

    def _event(self, type_: str, reason: str, message: str, container: str = "") -> None:
        kind = "initContainers" if container in self.init_records else "containers"
        if container in self.ephemeral_records:
            kind = "ephemeralContainers"
        path = f"spec.{kind}{{{container}}}" if container else ""
        self.kubelet.recorder.record(self.pod, type_, reason, message, field_path=path)

    async def _sleep(self, cluster_seconds: float) -> bool:
        """Sleep in cluster time; True if the pod started terminating meanwhile."""
        return await timers.wait(self.api.clock, self.terminating, cluster_seconds)

    def _spec_of(self, container: str) -> Obj:
        spec = self.pod.get("spec") or {}
        for key in ("containers", "initContainers", "ephemeralContainers"):
            for c in spec.get(key) or []:
                if c.get("name") == container:
                    return dict(c)
        return {}

    def transition(self) -> str | None:
        """Why this pod holds cluster time still, or None. Its processes run in real time:
        a jump while they start, terminate, run to completion or wait for their probes
        would judge them on time they never had (virtual time; see docs/architecture.md)."""
        if self._finished or self._task is None or self._task.done():
            return None
        if self._starting:
            return "creating"
        if self.terminating.is_set():
            return "terminating"
        policy = self.pod["spec"].get("restartPolicy", "Always")
        now = time.monotonic()
        for name, running in list(self.running.items()):
            rec = self.record_for(name)
            if rec is None or not running.alive():
                continue
            if name in self.ephemeral_records:
                return f"ephemeral container {name} running"
            if name in self.init_records and not rec.sidecar:
                return f"init container {name} running"
            if name in self.records and policy != "Always":
                return f"container {name} running to completion"
            since = now - self._started_real.get(name, now)
            spec = self._spec_of(name)
            if spec.get("readinessProbe") or spec.get("startupProbe"):
                if not (rec.started and rec.ready) and since < NOT_READY_HOLD:
                    return f"container {name} not ready yet"
            elif since < FRESH_HOLD:
                return f"container {name} just started"
        return None

    # -- the pod ---------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            pod_ip = self.kubelet.allocate_ip(self.pod)
            if not await self._create_sandbox(pod_ip):
                await self._terminate()
                return
            self.pod_ip = pod_ip
            await self._start_pause()
            await self.publish(start=True)
            self._arm_deadline()
            self._container_tasks = [asyncio.create_task(self._containers())]
            self._start_ephemeral()
            waiter: asyncio.Future[Any] = asyncio.gather(
                *self._container_tasks, return_exceptions=True
            )
            terminating: asyncio.Future[Any] = asyncio.create_task(self.terminating.wait())
            try:
                await asyncio.wait({waiter, terminating}, return_when=asyncio.FIRST_COMPLETED)
            finally:  # killed meanwhile (node down, pod gone at once): no task left pending
                terminating.cancel()
            if self.terminating.is_set():
                await self._terminate()
            else:
                await self.publish()
                if not self.running or not any(r.alive() for r in self.running.values()):
                    await self._release_sandbox()  # its containers are gone: so is its network
                await self.terminating.wait()  # finished pod: wait for deletion
                await self._terminate()
        except asyncio.CancelledError:
            raise
        except Exception:  # a kubelet bug must not take the node down
            log.exception("pod worker for %s/%s failed", self.namespace, self.name)

    async def _create_sandbox(self, pod_ip: str) -> bool:
        """The pod's network namespace in the fabric (hostNetwork: the fabric's own), retried
        with back-off as the kubelet retries FailedCreatePodSandBox; False if the pod goes
        first. Without the fabric the pod has the loopback shim and nothing to create."""
        fabric = self.kubelet.network.fabric
        if fabric is None or not fabric.running:
            return True
        if (self.pod.get("spec") or {}).get("hostNetwork"):
            self.sandbox = fabric.host_sandbox()
            return True
        backoff = MOUNT_BACKOFF_INITIAL
        while not self.terminating.is_set():
            try:
                self._starting += 1
                try:
                    self.sandbox = await fabric.sandbox(self.uid, pod_ip)
                finally:
                    self._starting -= 1
                return True
            except FabricError as exc:
                self._event(
                    "Warning",
                    "FailedCreatePodSandBox",
                    f"Failed to create pod sandbox: rpc error: code = Unknown desc = failed to "
                    f"setup network for sandbox: {exc}",
                )
            if await self._sleep(backoff):
                return False
            backoff = min(backoff * 2, MOUNT_BACKOFF_MAX)
        return False

    async def _release_sandbox(self) -> None:
        await self._stop_pause()
        fabric = self.kubelet.network.fabric
        self.sandbox = None
        if fabric is not None:
            await fabric.release(self.uid)

    async def _containers(self) -> None:
        """Init containers one after another, each to success; then the containers, each
        started once the one before it has started (and its postStart hook returned), all
        running side by side. A failed init container under restartPolicy Never leaves the
        pod Failed."""
        sidecars: list[asyncio.Task[bool]] = []
        mains: list[asyncio.Task[bool]] = []
        if not await self._mount_volumes():
            return
        resync = asyncio.create_task(self._resync_volumes())
        try:
            for spec in self.pod["spec"].get("initContainers") or []:
                rec = self.init_records[spec["name"]]
                if rec.sidecar:
                    # started once it runs (and passes a startup probe), then it keeps
                    # running and restarting beside the pod's containers
                    sidecars.append(asyncio.create_task(self._container_loop(spec)))
                    while not rec.started and not self.terminating.is_set():
                        await asyncio.sleep(0.05)
                    continue
                if not await self._container_loop(spec):
                    return
            for spec in self.pod["spec"].get("containers", []):
                # the kubelet's SyncPod starts them in order, each start pulling, creating,
                # starting and running postStart before the next (errors do not stop it)
                mains.append(asyncio.create_task(self._container_loop(spec)))
                await self._started_once(spec["name"], mains[-1])
            await asyncio.gather(*mains)
        finally:
            resync.cancel()
            for task in (*sidecars, *mains):
                task.cancel()
            await asyncio.gather(*sidecars, *mains, resync, return_exceptions=True)

    async def _started_once(self, name: str, loop: asyncio.Task[bool]) -> None:
        """Wait until the container's first start returned, or its loop ended."""
        started = asyncio.create_task(self._first_start_of(name).wait())
        try:
            await asyncio.wait({loop, started}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            started.cancel()

    def _first_start_of(self, name: str) -> asyncio.Event:
        return self._first_start.setdefault(name, asyncio.Event())

    def _start_returned(self, name: str) -> None:
        self._first_start_of(name).set()

    async def _mount_volumes(self) -> bool:
        """Wait until every volume is set up (a FailedMount event per failed try, retried with
        back-off), as the kubelet's WaitForAttachAndMount; False if the pod goes first."""
        backoff = MOUNT_BACKOFF_INITIAL
        while not self.terminating.is_set():
            errors = self.kubelet.volumes.setup(self.pod)
            if not errors:
                return True
            for message in errors:
                self._event("Warning", "FailedMount", message)
            if await self._sleep(backoff):
                return False
            backoff = min(backoff * 2, MOUNT_BACKOFF_MAX)
        return False

    async def _resync_volumes(self) -> None:
        """The pod's periodic sync: configMap, secret, downwardAPI and projected volumes pick
        up changes (a new `..data`), every `sync_period`."""
        while not await self._sleep(self.kubelet.sync_period):
            for message in self.kubelet.volumes.setup(self.pod):
                self._event("Warning", "FailedMount", message)

    async def _terminate(self) -> None:
        grace = self.pod["metadata"].get("deletionGracePeriodSeconds")
        if grace is None:
            grace = self.pod["spec"].get("terminationGracePeriodSeconds", 30)
        exits = await self._stop_all(float(grace))
        for task in [*self._container_tasks, *self._ephemeral_tasks]:
            task.cancel()
        await asyncio.gather(*self._container_tasks, *self._ephemeral_tasks, return_exceptions=True)
        self._stopped(exits)
        # the status manager deletes a pod only once the API shows its terminal phase
        await self.publish()
        await self._release_sandbox()
        with contextlib.suppress(ApiError):
            self.api.delete(
                self.kubelet._pods_res,
                self.namespace,
                self.name,
                options=DeleteOptions(grace_period_seconds=0, preconditions={"uid": self.uid}),
            )
        self._finished = True

    async def _stop_all(self, grace: float) -> dict[str, Exit]:
        """Stop every running container with `grace` cluster seconds (a Killing event for
        each one still alive); how each one ended."""
        for name, running in list(self.running.items()):
            if running.alive():
                self._event("Normal", "Killing", f"Stopping container {name}", name)
        names = list(self.running)
        ended = await asyncio.gather(
            *(self._kill(self._spec_of(n), self.running[n], grace) for n in names),
            return_exceptions=True,
        )
        return {n: e for n, e in zip(names, ended, strict=True) if isinstance(e, Exit)}

    def _stopped(self, exits: dict[str, Exit]) -> None:
        """Every container's end state once the deleted pod has stopped (syncTerminatingPod,
        then TerminatePod): what its kill left, or ContainerStatusUnknown. A pod that never
        initialized leaves its regular containers waiting, and init containers after the
        last one that started stay waiting too; ephemeral ones end only if they ran."""
        now = self.api.clock.rfc3339()
        records, inits = list(self.records.values()), list(self.init_records.values())
        initialized = _podstate.pod_initialized(records, inits)
        prefix = _podstate.initialized_prefix(inits)
        ending = [
            *(r for r in records if initialized or "running" in r.state),
            *(r for i, r in enumerate(inits) if i < prefix or "running" in r.state),
            *(r for r in self.ephemeral_records.values() if "running" in r.state),
        ]
        for rec in ending:
            found = exits.get(rec.name)
            rec.state = _podstate.stopped_state(
                rec.state,
                rec.last_state,
                exit_code=found.exit_code if found else None,
                reason=found.reason if found else None,
                now=now,
                container_id=rec.container_id,
            )
            ended = rec.state.get("terminated")
            if found is not None and ended is not None and "message" not in ended:
                spec = self._spec_of(rec.name)
                message = self._termination_message(spec, rec, found.exit_code) if spec else ""
                if message:
                    ended["message"] = message
        for rec in [*records, *inits, *self.ephemeral_records.values()]:
            rec.ready = rec.started = False
        self.terminal = True

    def _arm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self.terminal or self.deadline_exceeded:
            return
        if self.pod["spec"].get("activeDeadlineSeconds") is not None:
            self._deadline = asyncio.create_task(self._active_deadline())

    async def _active_deadline(self) -> None:
        """activeDeadlineHandler: once the pod has been active `activeDeadlineSeconds` since
        its startTime, the kubelet fails it and stops its containers with the pod's grace
        period (syncPod kills a pod whose status is Failed); it stays, Failed, until deleted."""
        deadline = float(self.pod["spec"]["activeDeadlineSeconds"])
        current = self.api.get(self.kubelet._pods_res, self.namespace, self.name)
        started = parse_time((current.get("status") or {}).get("startTime"))
        elapsed = (self.api.clock.now() - started).total_seconds() if started else 0.0
        if await self._sleep(max(0.0, deadline - elapsed)):
            return  # deleted first
        if self.terminal or self.evicting is not None:
            return
        if not any(r.alive() for r in self.running.values()) and all(
            t.done() for t in self._container_tasks
        ):
            return  # it finished in time
        self._event("Normal", DEADLINE_EXCEEDED, DEADLINE_MESSAGE)
        for task in [*self._container_tasks, *self._ephemeral_tasks]:
            task.cancel()  # first: no container may restart while the others stop
        grace = float(self.pod["spec"].get("terminationGracePeriodSeconds", 30))
        self._stopped(await self._stop_all(grace))
        # Failed with the reason once its containers are stopped, in one status write (as for
        # an eviction: never the terminal phase beside a running container)
        self.deadline_exceeded = True
        await self.publish()

    def end_without_sandbox(self) -> None:
        """restartPolicy Never after a reboot: no new sandbox, nothing run; the pod's
        status ends Failed with its containers' last states, and its old IP kept."""
        self.pod_ip = str((self.pod.get("status") or {}).get("podIP") or "")

        async def ended() -> None:
            self.terminal = True
            await self.publish()
            await self.terminating.wait()
            await self._terminate()

        self._task = asyncio.create_task(ended(), name=f"ended-{self.name}")

    def reject(self, message: str) -> None:
        """Refused at admission (kubelet rejectPod): Failed, reason Evicted, nothing run."""
        self.evicting = self.evicted = message
        self.rejected = True

        async def rejected() -> None:
            self._event("Warning", "Evicted", message)
            await self.publish()
            await self.terminating.wait()
            await self._terminate()

        self._task = asyncio.create_task(rejected(), name=f"rejected-{self.name}")

    async def evict(self, message: str) -> None:
        """The eviction manager fails the pod: its containers are killed at once (a hard
        threshold has no grace period) and the pod ends `Failed` with reason `Evicted`."""
        if self.evicting is not None:
            return
        self.evicting = message
        self._event("Warning", "Evicted", message)
        for name, running in list(self.running.items()):
            if running.alive():
                self._event("Normal", "Killing", f"Stopping container {name}", name)
        for task in [*self._container_tasks, *self._ephemeral_tasks]:
            task.cancel()
        await asyncio.gather(*(r.stop(0) for r in self.running.values()), return_exceptions=True)
        now = self.api.clock.rfc3339()
        for rec in self.records.values():
            rec.ready = False
            if "running" in rec.state:
                started = rec.state["running"].get("startedAt")
                rec.state = {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "Error",
                        "startedAt": started,
                        "finishedAt": now,
                        "containerID": rec.container_id,
                    }
                }
        self.evicted = message
        await self.publish()

    async def kill(self) -> None:
        """The node died or the object is gone: stop processes at once."""
        if self._task is not None:
            self._task.cancel()
        for task in [
            *self._container_tasks,
            *self._ephemeral_tasks,
            self._reconciling,
            self._deadline,
        ]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(r.stop(0) for r in self.running.values()), return_exceptions=True)
        await self._release_sandbox()

    # -- one container ---------------------------------------------------------------------

    async def _container_loop(self, spec: Obj) -> bool:
        """Run one container until it may not restart; True when it finished with exit 0
        (what an init container must do before the next one starts). A sidecar restarts
        like a container under restartPolicy Always, whatever the pod's policy."""
        name = spec["name"]
        rec = self.record_for(name)
        assert rec is not None
        init = name in self.init_records and not rec.sidecar
        policy = "Always" if rec.sidecar else self.pod["spec"].get("restartPolicy", "Always")
        if name in self.ephemeral_records:
            policy = "Never"  # an ephemeral container is never restarted
        pull_backoff = 0.0
        done = rec.state.get("terminated")
        if done is not None and rec.ever_ran and not init:  # finished before a reboot
            return int(done.get("exitCode") or 0) == 0
        while not self.terminating.is_set():
            image = await self._pull(spec, rec)
            waiting = (rec.state.get("waiting") or {}).get("reason")
            if image is None and waiting != "ErrImagePull":
                continue  # InvalidImageName, ErrImageNeverPull: tried again, no back-off
            if image is None:
                pull_backoff = (
                    PULL_BACKOFF_INITIAL
                    if not pull_backoff
                    else min(pull_backoff * 2, PULL_BACKOFF_MAX)
                )
                rec.state = {
                    "waiting": {
                        "reason": "ImagePullBackOff",
                        "message": f'Back-off pulling image "{spec.get("image")}"',
                    }
                }
                self._event(
                    "Normal", "BackOff", f'Back-off pulling image "{spec.get("image")}"', name
                )
                self._event("Warning", "Failed", "Error: ImagePullBackOff", name)
                await self.publish()
                if await self._sleep(pull_backoff):
                    return False
                continue
            pull_backoff = 0.0
            try:
                _securitycontext.verify_run_as_non_root(self.pod, spec, image.user)
                identity = _securitycontext.identity(
                    self.pod, spec, image.user, passwd=PASSWD, group=GROUP
                )
                env = self._environment(spec)
                self.mounts[name] = self.kubelet.volumes.mounts(self.pod, spec, env)
            except _env.ConfigError as exc:
                rec.state = {
                    "waiting": {"reason": "CreateContainerConfigError", "message": str(exc)}
                }
                self._event("Warning", "Failed", f"Error: {exc}", name)
                await self.publish()
                self._start_returned(name)
                if await self._sleep(PULL_BACKOFF_INITIAL):
                    return False
                continue
            began = self.api.clock.monotonic()
            exit_info = await self._run_once(spec, rec, image, env, identity)
            if exit_info is None or self.terminating.is_set():
                return False
            if name in self._resize_restarts:  # killed for a resize: started again at once
                self._resize_restarts.discard(name)
                rec.last_state = {"terminated": rec.state["terminated"]}
                rec.restart_count += 1
                continue
            if init and exit_info.exit_code == 0:
                rec.ready = True  # a completed init container reports Ready: True
            if not _podstate.should_restart(policy, exit_info.exit_code, init=init):
                await self.publish()
                return exit_info.exit_code == 0
            ran_for = self.api.clock.monotonic() - began  # cluster seconds, jumps included
            delay, rec.backoff = _podstate.restart_delay(rec.backoff, ran_for)
            rec.last_state = {"terminated": rec.state["terminated"]}
            if delay > 0:
                rec.state = {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": _podstate.crashloop_message(delay, name, self.pod),
                    }
                }
                meta = self.pod["metadata"]
                self._event(
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod {meta['name']}_{meta['namespace']}({meta['uid']})",
                    name,
                )
                await self.publish()
                if await self._sleep(delay):
                    return False
            rec.restart_count += 1
        return False

    async def _pull(self, spec: Obj, rec: ContainerRecord) -> Image | None:
        name, ref = spec["name"], spec.get("image", "")
        policy = spec.get("imagePullPolicy", "IfNotPresent")
        try:
            image = pull(ref)
        except InvalidImageName as exc:  # the kubelet's applyDefaultImageTag: no pull at all
            message = (
                f'Failed to apply default image tag "{ref}": couldn\'t parse image reference '
                f'"{ref}": {exc}'
            )
            rec.state = {"waiting": {"reason": "InvalidImageName", "message": message}}
            self._event("Warning", "InspectFailed", message, name)
            self._event("Warning", "Failed", "Error: InvalidImageName", name)
            await self.publish()
            self._start_returned(name)
            await self._sleep(PULL_BACKOFF_INITIAL)
            return None
        except PullError as exc:
            if policy == "Never":
                message = f'Container image "{ref}" is not present with pull policy of Never'
                rec.state = {"waiting": {"reason": "ErrImageNeverPull", "message": message}}
                self._event("Warning", "ErrImageNeverPull", message, name)
                await self.publish()
                self._start_returned(name)
                await self._sleep(PULL_BACKOFF_INITIAL)
                return None
            self._event("Normal", "Pulling", f'Pulling image "{ref}"', name)
            self._event("Warning", "Failed", f'Failed to pull image "{ref}": {exc}', name)
            self._event("Warning", "Failed", "Error: ErrImagePull", name)
            rec.state = {"waiting": {"reason": "ErrImagePull", "message": str(exc)}}
            await self.publish()
            self._start_returned(name)
            if await self._sleep(1.0):
                return None
            return None
        if policy == "Always":
            self._event("Normal", "Pulling", f'Pulling image "{ref}"', name)
            self._event(
                "Normal",
                "Pulled",
                f'Successfully pulled image "{ref}" in 312ms (312ms including waiting). Image size: 52428800 bytes.',
                name,
            )
        else:
            self._event(
                "Normal",
                "Pulled",
                f'Container image "{ref}" already present on machine and can be accessed by the pod',
                name,
            )
        rec.image_id = image.image_id
        rec.image = image.ref.name  # the runtime reports the normalized reference
        return image

    def _environment(self, spec: Obj) -> dict[str, str]:
        api = self.api
        ns = self.namespace
        services = api.list(api.resource("", "v1", "services"), ns).objects()
        master = [
            s
            for s in api.list(api.resource("", "v1", "services"), "default").objects()
            if s["metadata"]["name"] == "kubernetes"
        ]
        cms = {
            o["metadata"]["name"]: o
            for o in api.list(api.resource("", "v1", "configmaps"), ns).objects()
        }
        secs = {
            o["metadata"]["name"]: o
            for o in api.list(api.resource("", "v1", "secrets"), ns).objects()
        }
        pod = deepcopy(self.pod)
        pod.setdefault("status", {})["podIP"] = self.pod_ip
        pod["status"]["hostIP"] = self.kubelet.network.host_ip
        env = _env.container_env(pod, spec, _env.Sources(services, master, cms, secs))
        env.setdefault("HOSTNAME", self.name)
        return env

    def _hostname(self) -> str:
        """The container's hostname: the node's on the host network, else spec.hostname or
        the pod's name (the kubelet's GeneratePodHostNameAndDomain)."""
        spec = self.pod.get("spec") or {}
        if spec.get("hostNetwork"):
            return self.kubelet.node
        return str(spec.get("hostname") or self.name)[:63]

    async def _run_once(  # type: ignore[no-untyped-def]
        self,
        spec: Obj,
        rec: ContainerRecord,
        image: Image,
        env: dict[str, str],
        identity: _securitycontext.Identity,
    ):
        name = spec["name"]
        resources = self.allocated.get(name, _resize.resources_of(spec))
        limits = _with_pod_limits(resources.get("limits") or {}, self.pod.get("spec") or {})

        self._starting += 1
        mounts = list(self.mounts.get(name, ()))
        message_file = self.kubelet.runtime.termination_log(self.uid, name, rec.restart_count)
        self._message_files[name] = message_file
        if message_file is not None:
            target = spec.get("terminationMessagePath") or "/dev/termination-log"
            mounts.append(Mount(message_file, target))
        try:
            running = await self.kubelet.runtime.start(
                pod_uid=self.uid,
                container=name,
                restart_count=rec.restart_count,
                image=image,
                command=_env.expand_argv(spec.get("command"), env),
                args=_env.expand_argv(spec.get("args"), env),
                env=env,
                mounts=mounts,
                limits=_limits_of(limits),
                network=self._network(),
                stdin=bool(spec.get("stdin")),
                tty=bool(spec.get("tty")),
                identity=identity,
                pid_of=self._target_pid(spec),
            )
        except OSError as exc:
            # runc's exec.LookPath error, wrapped by runc and containerd (`: unknown`)
            cmd = exc.filename or (spec.get("command") or [""])[0]
            why = str(exc.strerror or exc)
            why = why[:1].lower() + why[1:]
            if "/" in str(cmd) and why == "no such file or directory":
                why = f"stat {cmd}: {why}"
            message = f'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "{cmd}": {why}: unknown'
            # the task never started: containerd reports its start as 0, the Unix epoch
            rec.state = {
                "terminated": {
                    "exitCode": 128,
                    "reason": "StartError",
                    "message": message,
                    "startedAt": "1970-01-01T00:00:00Z",
                    "finishedAt": self.api.clock.rfc3339(),
                }
            }
            self._event("Warning", "Failed", f"Error: {message}", name)
            await self.publish()
            self._start_returned(name)
            return Exit(128, "StartError")
        finally:
            self._starting -= 1
        self.running[name] = running
        self.actual[name] = deepcopy(resources)
        if not self._applied(name):  # resized while it was starting
            self._kick_resize()
        self._started_real[name] = time.monotonic()
        rec.container_id = (
            "containerd://"
            + hashlib.sha256(
                f"{self.uid}/{name}/{rec.restart_count}/{secrets.token_hex(4)}".encode()
            ).hexdigest()
        )
        started_at = self.api.clock.rfc3339()
        rec.state = {"running": {"startedAt": started_at}}
        rec.ever_ran = True
        rec.started = not spec.get("startupProbe")
        rec.ready = not spec.get("readinessProbe") and not spec.get("startupProbe")
        self._event("Normal", "Created", "Container created", name)
        self._event("Normal", "Started", "Container started", name)
        isolation_warning = self.kubelet.runtime.warning(image)
        if isolation_warning:
            self._event("Warning", "ProcessMode", isolation_warning, name)
        post_start = (spec.get("lifecycle") or {}).get("postStart")
        if post_start and await self._hook(post_start, spec, running, None) is not None:
            # the message stays out of the event, as the kubelet keeps secrets out of it
            self._event("Warning", "FailedPostStartHook", "PostStartHook failed", name)
            self._event("Normal", "Killing", "FailedPostStartHook", name)
            grace = float(self.pod["spec"].get("terminationGracePeriodSeconds", 30))
            await self._kill(spec, running, grace)
        await self.publish()
        self._start_returned(name)
        probes = asyncio.create_task(self._probes(spec, rec, running))
        exit_info = await running.wait()
        probes.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probes
        rec.ready = False
        rec.started = False
        ended: Obj = {
            "exitCode": exit_info.exit_code,
            "reason": exit_info.reason,
            "startedAt": started_at,
            "finishedAt": self.api.clock.rfc3339(),
            "containerID": rec.container_id,
        }
        message = self._termination_message(spec, rec, exit_info.exit_code)
        if message:
            ended["message"] = message
        rec.state = {"terminated": ended}
        await self.publish()
        return exit_info

    def _network(self) -> Network:
        """The pod's network as its containers see it: its IP, sandbox, DNS and /etc/hosts."""
        return Network(
            self.pod_ip,
            self.kubelet.network.hosts_file,
            search_path(self.namespace),
            net_id=self.kubelet.network.net_id,
            hostname=self._hostname(),
            subdomain=(self.pod.get("spec") or {}).get("subdomain") or "",
            sandbox=self.sandbox,
            dns=self._pod_dns(),
            host_aliases=host_alias_lines(self.pod.get("spec") or {}),
        )

    async def _start_pause(self) -> None:
        """shareProcessNamespace: the sandbox's pause process, PID 1 of the PID namespace
        every container of the pod then joins (`_target_pid`), so they see and signal each
        other's processes, and one container's end does not end the namespace. Not a
        container of the pod's status, as the sandbox's pause is not."""
        if not (self.pod.get("spec") or {}).get("shareProcessNamespace"):
            return
        if not self.kubelet.runtime.isolation.contained:
            return  # process mode: the host's processes are all visible anyway
        try:
            self._pause = await self.kubelet.runtime.start(
                pod_uid=self.uid,
                container="POD",  # not a DNS label: no container of the pod can have it
                restart_count=0,
                image=pull(PAUSE_IMAGE),
                command=None,
                args=None,
                env={"HOSTNAME": self._hostname()},
                limits=Limits(),
                network=self._network(),
            )
        except (OSError, PullError) as exc:
            self._event("Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {exc}")

    async def _stop_pause(self) -> None:
        pause, self._pause = self._pause, None
        if pause is not None:
            await pause.stop(0)

    def _target_pid(self, spec: Obj) -> int | None:
        """The PID namespace a container joins: the pod's shared one (its pause process)
        under shareProcessNamespace; for an ephemeral container's targetContainerName, that
        running container's (`kubectl debug --target`); else None, one of its own."""
        if self._pause is not None and self._pause.alive():
            return self._pause.pid
        target = spec.get("targetContainerName")
        if not target or spec["name"] not in self.ephemeral_records:
            return None
        running = self.running.get(target)
        return running.pid if running is not None and running.alive() else None

    def _pod_dns(self) -> PodDns:
        """GetPodDNS, with its DNSConfigForming warning when a line had to be cut."""
        dns = pod_dns(self.pod.get("spec") or {}, CLUSTER_DNS, search_path(self.namespace))
        for warning in dns.warnings:
            self._event("Warning", "DNSConfigForming", warning)
        return dns

    def _termination_message(self, spec: Obj, rec: ContainerRecord, exit_code: int) -> str:
        """What the container wrote to its terminationMessagePath (its last 4 KiB, as
        tail.ReadAtMost reads it); with FallbackToLogsOnError and nothing written, a failed
        container's last 80 log lines (at most 2 KiB), as convertToKubeContainerStatus does
        for every exited container, also one the kubelet killed."""
        text = ""
        message_file = self._message_files.get(spec["name"])
        if message_file is not None:
            with contextlib.suppress(OSError), message_file.open("rb") as f:
                f.seek(max(0, message_file.stat().st_size - MAX_TERMINATION_MESSAGE))
                text = f.read().decode("utf-8", "replace")
        if text or spec.get("terminationMessagePolicy") != "FallbackToLogsOnError":
            return text
        if exit_code == 0:
            return ""
        path = self.kubelet.runtime.log_path(self.uid, spec["name"], rec.restart_count)
        tail = "\n".join(read_log(path, tail_lines=TERMINATION_LOG_LINES))
        if tail:
            tail += "\n"
        return tail.encode()[-TERMINATION_LOG_BYTES:].decode("utf-8", "replace")

    # -- lifecycle hooks -------------------------------------------------------------------

    async def _hook(
        self, handler: Obj, spec: Obj, running: Running, timeout: float | None
    ) -> str | None:
        """Run a postStart or preStop handler in `running` (`_hooks.run`); None when it
        succeeded. `timeout`: real seconds for its exec or HTTP request, None for none."""
        ports = {p["name"]: p["containerPort"] for p in spec.get("ports") or [] if p.get("name")}

        async def exec_in(argv: list[str], limit: float | None) -> tuple[int | None, bytes]:
            command = running.exec_spec(argv)
            launched, preexec = command.launch(command.argv)
            with self.api.clock.hold("hook in flight"):
                return await _probes.run_command(
                    launched, command.cwd, command.env, limit, preexec=preexec
                )

        async def http_get(request: Obj, limit: float | None) -> ProbeResult:
            with self.api.clock.hold("hook in flight"):
                return await _probes.http_get(
                    request,
                    self.pod_ip,
                    ports,
                    limit if limit is not None else HOOK_HTTP_TIMEOUT,
                    dial=self.kubelet.network.dial,
                    any_status=True,
                )

        meta = self.pod["metadata"]
        return await _hooks.run(
            handler,
            container=spec["name"],
            pod=f"{meta['name']}_{meta['namespace']}({meta['uid']})",
            timeout=timeout,
            exec_in=exec_in,
            http_get=http_get,
            sleep=lambda seconds: timers.sleep(self.api.clock, seconds),
        )

    async def _kill(self, spec: Obj, running: Running, grace: float) -> Exit:
        """killContainer: the preStop hook first, for at most the grace period (cluster
        seconds), then SIGTERM with what is left of it, at least 2 s, then SIGKILL. A
        failed hook is a FailedPreStopHook event; the stop goes on."""
        pre_stop = (spec.get("lifecycle") or {}).get("preStop") if spec else None
        if pre_stop and grace > 0 and running.alive():
            began = self.api.clock.monotonic()
            done = asyncio.Event()

            async def hook() -> None:
                try:
                    failed = await self._hook(
                        pre_stop, spec, running, self.api.clock.wall_seconds(grace)
                    )
                    if failed is not None:
                        self._event("Warning", "FailedPreStopHook", failed, spec["name"])
                finally:
                    done.set()

            task = asyncio.create_task(hook())
            await timers.wait(self.api.clock, done, grace)
            if not task.done():
                task.cancel()
            spent = self.api.clock.monotonic() - began
            grace = max(grace - spent, MINIMUM_GRACE_SECONDS)
        return await running.stop(self.api.clock.wall_seconds(grace))

    # -- probes ----------------------------------------------------------------------------

    async def _probes(self, spec: Obj, rec: ContainerRecord, running: Running) -> None:
        name = spec["name"]
        startup = spec.get("startupProbe")
        if startup:
            ok = await self._probe_until(startup, spec, running, "Startup", want_success=True)
            if not ok:
                self._event(
                    "Normal",
                    "Killing",
                    f"Container {name} failed startup probe, will be restarted",
                    name,
                )
                await self._kill(spec, running, self._grace(startup))
                return
            rec.started = True
            if not spec.get("readinessProbe"):
                rec.ready = True
            await self.publish()
        loops = []
        if spec.get("readinessProbe"):
            loops.append(self._readiness(spec, rec, running))
        if spec.get("livenessProbe"):
            loops.append(self._liveness(spec, running))
        if loops:
            await asyncio.gather(*loops)

    def _grace(self, probe: Obj) -> float:
        value = probe.get("terminationGracePeriodSeconds")
        if value is None:
            value = self.pod["spec"].get("terminationGracePeriodSeconds", 30)
        return float(value)

    async def _probe_once(self, probe: Obj, spec: Obj, running: Running) -> ProbeResult:
        # a real duration handed to real I/O: the probe's timeout is never skipped
        timeout = self.api.clock.work_seconds(float(probe.get("timeoutSeconds", 1)))
        with self.api.clock.hold("probe in flight"):
            return await self._probe_io(probe, spec, running, timeout)

    async def _probe_io(
        self, probe: Obj, spec: Obj, running: Running, timeout: float
    ) -> ProbeResult:
        ports = {p["name"]: p["containerPort"] for p in spec.get("ports") or [] if p.get("name")}
        if "httpGet" in probe:
            return await _probes.http_get(
                probe["httpGet"], self.pod_ip, ports, timeout, dial=self.kubelet.network.dial
            )
        if "tcpSocket" in probe:
            return await _probes.tcp_socket(
                probe["tcpSocket"], self.pod_ip, ports, timeout, dial=self.kubelet.network.dial
            )
        if "grpc" in probe:
            grpc = probe["grpc"]
            return await _grpcprobe.check(
                self.pod_ip,
                int(grpc.get("port") or 0),
                str(grpc.get("service") or ""),
                timeout,
                dial=self.kubelet.network.dial,
                user_agent=_probes.USER_AGENT,
            )
        if "exec" in probe:
            argv = list(probe["exec"].get("command") or [])
            command = running.exec_spec(argv)
            launched, preexec = command.launch(command.argv)
            return await _probes.exec_command(
                launched, command.cwd, command.env, timeout, shown=argv, preexec=preexec
            )
        return ProbeResult(True)

    async def _probe_until(
        self, probe: Obj, spec: Obj, running: Running, kind: str, *, want_success: bool
    ) -> bool:
        """Startup probe: True once it succeeds, False after failureThreshold failures."""
        await timers.sleep(self.api.clock, float(probe.get("initialDelaySeconds", 0)))
        failures = 0
        while running.alive():
            result = await self._probe_once(probe, spec, running)
            if result.ok:
                return True
            failures += 1
            self._event(
                "Warning", "Unhealthy", f"{kind} probe failed: {result.message}", spec["name"]
            )
            if failures >= int(probe.get("failureThreshold", 3)):
                return False
            await timers.sleep(self.api.clock, float(probe.get("periodSeconds", 10)))
        return False

    async def _readiness(self, spec: Obj, rec: ContainerRecord, running: Running) -> None:
        probe = spec["readinessProbe"]
        await timers.sleep(self.api.clock, float(probe.get("initialDelaySeconds", 0)))
        successes = failures = 0
        while running.alive():
            result = await self._probe_once(probe, spec, running)
            if result.ok:
                successes, failures = successes + 1, 0
                if not rec.ready and successes >= int(probe.get("successThreshold", 1)):
                    rec.ready = True
                    await self.publish()
            else:
                successes, failures = 0, failures + 1
                if running.alive():
                    self._event(
                        "Warning",
                        "Unhealthy",
                        f"Readiness probe failed: {result.message}",
                        spec["name"],
                    )
                if rec.ready and failures >= int(probe.get("failureThreshold", 3)):
                    rec.ready = False
                    await self.publish()
            await timers.sleep(self.api.clock, float(probe.get("periodSeconds", 10)))

    async def _liveness(self, spec: Obj, running: Running) -> None:
        probe = spec["livenessProbe"]
        name = spec["name"]
        await timers.sleep(self.api.clock, float(probe.get("initialDelaySeconds", 0)))
        failures = 0
        while running.alive():
            result = await self._probe_once(probe, spec, running)
            if result.ok:
                failures = 0
            else:
                failures += 1
                self._event(
                    "Warning", "Unhealthy", f"Liveness probe failed: {result.message}", name
                )
                if failures >= int(probe.get("failureThreshold", 3)):
                    self._event(
                        "Normal",
                        "Killing",
                        f"Container {name} failed liveness probe, will be restarted",
                        name,
                    )
                    await self._kill(spec, running, self._grace(probe))
                    return
            await timers.sleep(self.api.clock, float(probe.get("periodSeconds", 10)))

    # -- status ----------------------------------------------------------------------------

    async def publish(self, *, start: bool = False) -> None:
        """Write the pod's status from the records (retrying on conflicts, like the kubelet's
        status manager)."""
        async with self._status_lock:
            for _ in range(5):
                try:
                    current = self.api.get(self.kubelet._pods_res, self.namespace, self.name)
                except NotFound:
                    return
                if current["metadata"]["uid"] != self.uid:
                    return
                updated = deepcopy(current)
                updated["status"] = self._status(current)
                if updated["status"] == current.get("status"):
                    self._written = current.get("status") or {}
                    return
                try:
                    stored = self.api.update(
                        self.kubelet._pods_res,
                        self.namespace,
                        self.name,
                        updated,
                        subresource="status",
                    )
                    self._written = stored.get("status") or {}
                    return
                except Conflict:
                    await asyncio.sleep(0)
                except ApiError:
                    return

    def _container_status(self, rec: ContainerRecord) -> Obj:
        """The record's status with the resources the kubelet allocated and configured."""
        running = self.running.get(rec.name)
        actual = self.actual.get(rec.name) if running is not None and running.alive() else None
        allocated = self.allocated.get(rec.name)
        if allocated is None:
            allocated = _resize.resources_of(self._spec_of(rec.name))
        return {**rec.status(), **_resize.status_resources(actual, allocated)}

    def _status(self, current: Obj) -> Obj:
        old = current.get("status") or {}
        records = list(self.records.values())
        now = self.api.clock.rfc3339()
        init_records = list(self.init_records.values())
        status: Obj = {
            # the spec this status reflects (PodObservedGenerationTracking, GA in 1.35)
            **(
                {"observedGeneration": current["metadata"]["generation"]}
                if current["metadata"].get("generation")
                else {}
            ),
            "phase": _podstate.phase(current, records, init_records, terminal=self.terminal),
            "conditions": _podstate.conditions(
                current,
                records,
                now=now,
                sandbox_ready=bool(self.pod_ip) and not self.terminal,
                init_records=init_records,
                terminal=self.terminal,
            ),
            "hostIP": self.kubelet.network.host_ip,
            "hostIPs": [{"ip": self.kubelet.network.host_ip}],
            "podIP": self.pod_ip,
            "podIPs": [{"ip": self.pod_ip}],
            "startTime": old.get("startTime") or now,
            "containerStatuses": [self._container_status(r) for r in records],
            "qosClass": old.get("qosClass") or qos_class(current),
        }
        if self.evicted is not None:  # eviction_manager.go evictPod: the status it sets
            status["phase"] = "Failed"
            status["reason"] = _eviction.REASON
            status["message"] = self.evicted
        elif self.deadline_exceeded:  # generateAPIPodStatus: a sync handler's ShouldEvict
            status["phase"] = "Failed"
            status["reason"] = DEADLINE_EXCEEDED
            status["message"] = DEADLINE_MESSAGE
        if self.evicted is not None and not self.rejected:
            status["conditions"] = [
                *status["conditions"],
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": _disruption_since(old) or now,
                    "reason": "TerminationByKubelet",
                    "message": self.evicted,
                },
            ]
        # conditions the kubelet does not own (the scheduler's DisruptionTarget on a
        # preemption victim, a readiness gate's) stay as their writers left them
        # (status_manager.go mergePodStatus)
        status["conditions"] += [c for c in (self._resize_pending, self._resize_progress) if c]
        owned = {c["type"] for c in status["conditions"]} | set(_resize.CONDITIONS)
        status["conditions"] = [
            *status["conditions"],
            *(c for c in old.get("conditions") or [] if c.get("type") not in owned),
        ]
        if init_records:
            status["initContainerStatuses"] = [self._container_status(r) for r in init_records]
        if self.ephemeral_records:
            status["ephemeralContainerStatuses"] = [
                {k: v for k, v in r.status().items() if k != "started"}
                for r in self.ephemeral_records.values()
            ]
        return status


def _with_pod_limits(limits: Obj, spec: Obj) -> Obj:
    """A container without a cpu or memory limit of its own runs under the pod-level one
    (kuberuntime's getCPULimit/getMemoryLimit; the pod's spec is left as it is)."""
    out = dict(limits)
    for name in ("cpu", "memory"):
        pod_limit = podlevel.pod_value(spec, "limits", name)
        if name not in out and pod_limit is not None:
            out[name] = pod_limit
    return out


def _observed(condition: Obj) -> int:
    return int(condition.get("observedGeneration") or 1)


def _marks(pod: Obj) -> tuple[Any, Any]:
    """A pod's labels and annotations: what a downwardAPI volume shows, and what a person
    changes to make the kubelet sync the pod."""
    meta = pod.get("metadata") or {}
    return meta.get("labels"), meta.get("annotations")


def _limits_of(limits: Obj) -> Limits:
    """A container's cpu and memory limits as the runtime applies them."""
    return Limits(
        memory_bytes=memory_bytes(limits["memory"]) if "memory" in limits else None,
        cpu_millis=cpu_millis(limits["cpu"]) if "cpu" in limits else None,
    )


def _disruption_since(old: Obj) -> str | None:
    for c in old.get("conditions") or []:
        if c.get("type") == "DisruptionTarget":
            return c.get("lastTransitionTime")
    return None
