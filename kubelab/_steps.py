"""Carry out a lab's Steps (setup, reference solutions, faults) on the lab's own cluster.

A Step is data in lab.yaml (models in `checker/_labfile.py`). `plan()` turns one Step into
one Action without touching anything (pure, so tests read the exact kubectl argv), and
`StepRunner` carries the actions out at one edge:

    {apply: path}             kubectl apply -f <lab folder>/<path> -n <ns>
    {manifest: {...}}         kubectl apply -f <lab_home>/applied/<lab>/<kind>-<name>.yaml -n <ns>
    {kubectl: "args"}         kubectl <args> -n <ns>   (no -n when the args name one, or -A);
                              $(KUBELAB_CLUSTER) and $(KUBELAB_USER) in the args are the
                              cluster and user of the lab's own context (kind and kubesim
                              name them differently: lab 07's `config set-context prod`)
    {delete: {apiVersion, kind, name, namespace}}
                              kubectl delete <kind>.<group> <name> -n <ns> --ignore-not-found --wait=true
    {wait: <a check>}         the checker on that one check, until it passes or `within` ends
    {node: {name, action}}    the backend stops or starts a node (kind: docker; sim: kubesim's
                              admin endpoint); remembered in <lab_home>/stopped-nodes
    {controlPlane: stop|start}
                              the backend stops or starts the API server, the controller
                              manager and the scheduler, not the nodes or the pod network
                              (kind: the API server's static pod manifest moved out and back;
                              sim: `python -m kubesim control-plane`)
    {pause: 10s}              let time pass with nothing asked of the cluster (an outage
                              that must last while the API cannot answer)
    {snapshot: {save|restore: NAME}}
                              the backend saves or restores a snapshot of the cluster's store
                              in <lab_home>/snapshots/NAME (kind: etcdctl/etcdutl in the etcd
                              pod; sim: `python -m kubesim snapshot`, its SQLite store's)

Why an inline manifest goes through a file and not `kubectl apply -f -`: the subprocess
boundary (`_procs.run`) has no stdin, and a file under `.kubelab/applied/` also shows the
curious learner exactly what was applied.

Every kubectl runs through `_backend_base.run_kubectl`: the venv's kubectl, `--kubeconfig` the
lab's, `--cache-dir` the lab's, through `_procs` (which tests fake).
"""

from __future__ import annotations

import hashlib
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml

import checker
from kubelab import _outage
from kubelab._backend_base import LabPaths, run_kubectl
from kubelab._errors import ClusterError, KubelabError
from kubelab._kubeconfig import CLUSTER_NAME, LabKubeconfig

NODE_ACTIONS = ("stop", "start", "fill-memory", "free-memory")
CONTROL_PLANE_ACTIONS = ("stop", "start")
STARTED_BY = "kubelab.dev/started-by"  # on a Node: which lab's step last started it
STEP_KINDS = (
    "apply", "manifest", "kubectl", "delete", "wait", "node", "controlPlane", "pause", "snapshot",
)  # fmt: skip
_NAMESPACE_FLAGS = ("-n", "--namespace", "-A", "--all-namespaces")


class StepError(ClusterError):
    """A step that the cluster refused or that never came true (exit code 5)."""


class BadStep(KubelabError):
    """A step that cannot be carried out as written in lab.yaml (exit code 2)."""

    exit_code = 2


class StepProblem(Exception):
    """Raised by `plan()`; the runner adds which lab, phase and step it was."""


# --- actions: what a step means, decided purely --------------------------------------


@dataclass(frozen=True)
class KubectlAction:
    """One kubectl command (args without the binary and lab flags); maybe a file to write first."""

    args: tuple[str, ...]
    title: str
    file: Path | None = None
    content: str | None = None


@dataclass(frozen=True)
class NodeAction:
    name: str
    action: Literal["stop", "start", "fill-memory", "free-memory"]
    title: str


@dataclass(frozen=True)
class WaitAction:
    check: checker.Check
    title: str


@dataclass(frozen=True)
class ControlPlaneAction:
    action: Literal["stop", "start"]
    title: str


@dataclass(frozen=True)
class PauseAction:
    seconds: float
    title: str


@dataclass(frozen=True)
class SnapshotStepAction:
    action: Literal["save", "restore"]
    file: Path
    title: str


Action = (
    KubectlAction | NodeAction | WaitAction | ControlPlaneAction | PauseAction | SnapshotStepAction
)


@dataclass(frozen=True)
class StepContext:
    """What a step is resolved against: the lab's folder and namespace, a scratch folder, and
    the cluster and user of the lab's own context (empty when the runner was given none)."""

    lab_id: str
    folder: Path
    namespace: str
    scratch: Path
    cluster: str = ""
    user: str = ""

    @classmethod
    def for_lab(
        cls, lab: checker.Lab, paths: LabPaths, kubeconfig: LabKubeconfig | None = None
    ) -> StepContext:
        folder = lab.folder or (paths.repo / "labs" / lab.id)
        return cls(
            lab_id=lab.id,
            folder=folder,
            namespace=lab.namespace,
            scratch=paths.home / "applied" / lab.id,
            cluster=kubeconfig.cluster if kubeconfig else "",
            user=kubeconfig.user if kubeconfig else "",
        )

    @property
    def snapshots(self) -> Path:
        """Where `{snapshot: ...}` steps keep their files: `<lab_home>/snapshots/`."""
        return self.scratch.parent.parent / "snapshots"


def _placeholders(line: str, ctx: StepContext) -> str:
    """`$(KUBELAB_CLUSTER)` and `$(KUBELAB_USER)` in a kubectl step: the lab context's own."""
    for name, value in (("KUBELAB_CLUSTER", ctx.cluster), ("KUBELAB_USER", ctx.user)):
        marker = f"$({name})"
        if marker in line:
            if not value:
                raise StepProblem(
                    f"the kubectl step {line!r} uses {marker}, but the lab's kubeconfig names "
                    "no such entry for its context"
                )
            line = line.replace(marker, shlex.quote(value))
    return line


def _get(obj: Any, key: str) -> Any:
    """A field of a pydantic step model or of a plain dict (node steps may come as dicts);
    `controlPlane` is the model's `control_plane`."""
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, "control_plane" if key == "controlPlane" else key, None)


def step_kind(step: Any) -> str:
    found = [k for k in STEP_KINDS if _get(step, k) is not None]
    if len(found) != 1:
        raise StepProblem(
            "a step must be exactly one of " + ", ".join(STEP_KINDS) + f", not {step!r}"
        )
    return found[0]


def names_namespace(args: Sequence[str]) -> bool:
    """Whether kubectl args already say which namespace (or all of them), before any `--`."""
    for arg in args:
        if arg == "--":
            return False
        if arg in _NAMESPACE_FLAGS or arg.startswith(("--namespace=", "-n=")):
            return True
        if arg.startswith("-n") and not arg.startswith("--"):  # -nlab
            return True
    return False


def with_namespace(args: Sequence[str], namespace: str) -> tuple[str, ...]:
    """`args` plus `-n NS`, placed before a `--` (whose tail belongs to the container)."""
    args = tuple(args)
    if names_namespace(args):
        return args
    if "--" in args:
        cut = args.index("--")
        return (*args[:cut], "-n", namespace, *args[cut:])
    return (*args, "-n", namespace)


def resource_name(api_version: str, kind: str) -> str:
    """`Deployment` in `apps/v1` -> `deployment.apps`; core kinds stay bare (`pod`)."""
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    return f"{kind.lower()}.{group}" if group else kind.lower()


def _manifest_file(ctx: StepContext, manifest: dict[str, Any], text: str) -> Path:
    meta = manifest.get("metadata") or {}
    name = meta.get("name") or hashlib.sha256(text.encode()).hexdigest()[:10]
    return ctx.scratch / f"{str(manifest['kind']).lower()}-{name}.yaml"


def plan(step: Any, ctx: StepContext) -> Action:
    """The action one Step stands for. Pure: reads no file but checks none exists."""
    kind = step_kind(step)
    if kind == "apply":
        rel = str(_get(step, "apply"))
        path = (ctx.folder / rel).resolve()
        return KubectlAction(
            ("apply", "-f", str(path), "-n", ctx.namespace), title=f"kubectl apply -f {rel}"
        )
    if kind == "manifest":
        manifest = dict(_get(step, "manifest"))
        text = yaml.safe_dump(manifest, sort_keys=False)
        file = _manifest_file(ctx, manifest, text)
        namespace = (manifest.get("metadata") or {}).get("namespace") or ctx.namespace
        name = (manifest.get("metadata") or {}).get("name") or "(unnamed)"
        return KubectlAction(
            ("apply", "-f", str(file), "-n", namespace),
            title=f"kubectl apply {manifest['kind']} {name} (inline manifest)",
            file=file,
            content=text,
        )
    if kind == "kubectl":
        line = _placeholders(str(_get(step, "kubectl")), ctx)
        try:
            args = shlex.split(line)
        except ValueError as exc:
            raise StepProblem(
                f"the kubectl step {line!r} does not split into words: {exc}"
            ) from exc
        if args and args[0] == "kubectl":
            args = args[1:]
        if not args:
            raise StepProblem("a kubectl step needs arguments")
        return KubectlAction(with_namespace(args, ctx.namespace), title=f"kubectl {line}")
    if kind == "delete":
        ref = _get(step, "delete")
        api_version = _get(ref, "api_version") or _get(ref, "apiVersion")
        obj_kind, name = _get(ref, "kind"), _get(ref, "name")
        if not (api_version and obj_kind and name):
            raise StepProblem("a delete step needs apiVersion, kind and name")
        namespace = _get(ref, "namespace") or ctx.namespace
        return KubectlAction(
            (
                "delete", resource_name(api_version, obj_kind), name,
                "-n", namespace, "--ignore-not-found", "--wait=true",
            ),
            title=f"delete {obj_kind} {namespace}/{name}",
        )  # fmt: skip
    if kind == "wait":
        check = _get(step, "wait")
        if isinstance(check, dict):
            check = checker.Check.model_validate(check)
        return WaitAction(check, title=f"wait until {check.name} (up to {check.within:g}s)")
    if kind == "pause":
        seconds = checker.parse_duration(_get(step, "pause"))
        return PauseAction(seconds, title=f"pause {seconds:g}s (nothing is asked of the cluster)")
    if kind == "snapshot":
        snap = _get(step, "snapshot")
        save, restore = _get(snap, "save"), _get(snap, "restore")
        if (save is None) == (restore is None):
            raise StepProblem("a snapshot step is exactly one of save or restore")
        name = save if save is not None else restore
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise StepProblem(f"a snapshot step names a plain file name, not {name!r}")
        verb: Literal["save", "restore"] = "save" if save is not None else "restore"
        return SnapshotStepAction(
            verb, ctx.snapshots / name, title=f"snapshot {verb} {name} (the cluster's store)"
        )
    if kind == "controlPlane":
        wanted = _get(step, "controlPlane")
        if wanted not in CONTROL_PLANE_ACTIONS:
            raise StepProblem(f"a controlPlane step is stop or start, not {wanted!r}")
        return ControlPlaneAction(wanted, title=f"control plane: {wanted}")
    node = _get(step, "node")
    name, action = _get(node, "name"), _get(node, "action")
    if action not in NODE_ACTIONS:
        raise StepProblem(
            f"a node step's action is stop, start, fill-memory or free-memory, not {action!r}"
        )
    if not isinstance(name, str) or not name.startswith(CLUSTER_NAME + "-"):
        raise StepProblem(
            f"a node step may only name one of the lab cluster's nodes ({CLUSTER_NAME}-...), "
            f"not {name!r}"
        )
    return NodeAction(name, action, title=f"node {name}: {action}")


# --- remembered node stops ------------------------------------------------------------


def stopped_file(paths: LabPaths) -> Path:
    return paths.home / "stopped-nodes"


def stopped_nodes(paths: LabPaths) -> list[str]:
    """Nodes a fault stopped and nothing started since (one name a line)."""
    try:
        return [n for n in stopped_file(paths).read_text().split() if n]
    except OSError:
        return []


def after_node_action(stopped: Sequence[str], name: str, action: str) -> list[str]:
    if action not in ("stop", "start"):
        return list(stopped)  # filling a node's memory neither stops nor starts it
    rest = [n for n in stopped if n != name]
    return [*rest, name] if action == "stop" else rest


def _remember(paths: LabPaths, name: str, action: str) -> None:
    now = after_node_action(stopped_nodes(paths), name, action)
    paths.home.mkdir(parents=True, exist_ok=True)
    stopped_file(paths).write_text("".join(n + "\n" for n in now))


# --- the edge -------------------------------------------------------------------------


class NodeControl(Protocol):
    def node(self, name: str, action: str) -> None: ...

    def control_plane(self, action: str) -> str: ...

    def snapshot(self, action: str, file: Path) -> str: ...


Waiter = Callable[[checker.Lab, checker.Check], str | None]
"""Runs one check until it passes or its `within` ends: None when passed, else why not."""


def kubectl_said(result: Any) -> str:
    """kubectl's own last words, on one line."""
    said = (result.stderr or result.stdout).strip().splitlines()
    return (
        " ".join(line.strip() for line in said[-5:]) if said else f"exit code {result.returncode}"
    )


class StepRunner:
    """Carries out steps in order; the first one that fails stops the run with one paragraph."""

    def __init__(
        self,
        paths: LabPaths,
        *,
        nodes: Callable[[], NodeControl],
        waiter: Waiter,
        say: Callable[[str], None],
        sleep: Callable[[float], None] = time.sleep,
        kubeconfig: LabKubeconfig | None = None,
    ) -> None:
        self.paths = paths
        self._kubeconfig = kubeconfig
        self._sleep = sleep
        self._nodes = nodes
        self._waiter = waiter
        self.say = say

    def run(self, lab: checker.Lab, steps: Sequence[Any], *, phase: str) -> None:
        """Run `steps` of `lab`; `phase` names them for people ("setup", "fault crashloop")."""
        ctx = StepContext.for_lab(lab, self.paths, self._kubeconfig)
        for number, step in enumerate(steps, 1):
            where = f"step {number} of {len(steps)} of the {phase}"
            try:
                action = plan(step, ctx)
            except StepProblem as exc:
                raise BadStep(
                    f"Lab {lab.id}: {where} cannot be carried out: {exc}. Fix that step in "
                    f"{ctx.folder / 'lab.yaml'}."
                ) from exc
            self.say(f"  [{phase} {number}/{len(steps)}] {action.title}")
            self._do(lab, action, where=where, ctx=ctx)

    def _do(self, lab: checker.Lab, action: Action, *, where: str, ctx: StepContext) -> None:
        if isinstance(action, KubectlAction):
            self._kubectl(lab, action, where=where, ctx=ctx)
        elif isinstance(action, ControlPlaneAction):
            self._nodes().control_plane(action.action)
            if action.action == "stop":
                phase = where.rsplit(" of the ", 1)[-1]
                fault = phase.removeprefix("fault ") if phase.startswith("fault ") else ""
                fix = f"kubelab fix {fault}" if fault else f"kubelab reset {lab.id}"
                _outage.remember_down(self.paths, fix)
            else:
                _outage.forget_down(self.paths)
        elif isinstance(action, PauseAction):
            self._sleep(action.seconds)
        elif isinstance(action, SnapshotStepAction):
            action.file.parent.mkdir(parents=True, exist_ok=True)
            self._nodes().snapshot(action.action, action.file)
        elif isinstance(action, NodeAction):
            self._nodes().node(action.name, action.action)
            _remember(self.paths, action.name, action.action)
            if action.action not in CONTROL_PLANE_ACTIONS:
                return
            phase = where.rsplit(" of the ", 1)[-1]
            who = f"kubelab reset {lab.id}" if phase == "nodes" else f"{lab.id}, {phase}"
            self._mark_node(action, started_by=who)
        else:
            why = self._waiter(lab, action.check)
            if why is not None:
                raise StepError(
                    f"Lab {lab.id}: {where} waited {action.check.within:g}s for "
                    f"{action.check.name!r} and it never came true: {why} Look at "
                    f"`kubectl get pods -n {ctx.namespace}` and `kubectl describe` the objects "
                    f"named above; `kubelab reset {lab.id}` starts the lab over."
                )

    def _mark_node(self, action: NodeAction, *, started_by: str) -> None:
        """Say on the Node who started it (`kubelab.dev/started-by`), and forget it on a stop.

        A later lab's reset starts any node a fault stopped; without the mark, lab 03's
        "bring the node back" would be graded done by the next lab's reset. Best effort: a
        node that does not answer yet keeps its old mark, and the checks say what they see."""
        mark = f"{STARTED_BY}={started_by}" if action.action == "start" else f"{STARTED_BY}-"
        run_kubectl(self.paths, "annotate", "node", action.name, mark, "--overwrite")

    def _kubectl(
        self, lab: checker.Lab, action: KubectlAction, *, where: str, ctx: StepContext
    ) -> None:
        if action.file is not None:
            action.file.parent.mkdir(parents=True, exist_ok=True)
            action.file.write_text(action.content or "")
        elif action.args[:2] == ("apply", "-f") and not Path(action.args[2]).exists():
            raise BadStep(
                f"Lab {lab.id}: {where} applies {action.args[2]}, which does not exist. "
                f"Fix the path in {ctx.folder / 'lab.yaml'} (it is relative to the lab folder)."
            )
        result = run_kubectl(self.paths, *action.args)
        if not result.ok:
            raise StepError(
                f"Lab {lab.id}: {where} (`{action.title}`) failed. kubectl said: "
                f"{kubectl_said(result)} Check the cluster with `kubelab status` and "
                f"`kubectl get all -n {ctx.namespace}`; `kubelab reset {lab.id}` starts the "
                "lab over."
            )


# --- the real waiter: the checker on one check ----------------------------------------


def check_failure_text(result: checker.CheckResult) -> str:
    """A failed check as one paragraph: its message, then what the checker found."""
    parts = [result.message.rstrip(".") + "."]
    if result.detail:
        parts.append(result.detail.strip())
    if result.field_errors:
        parts.append("Found: " + "; ".join(result.field_errors[:5]) + ".")
    return " ".join(parts)


def checker_waiter(kubeconfig: Path) -> Waiter:
    """A Waiter that grades the one check through the checker, on the lab kubeconfig."""

    def wait(lab: checker.Lab, check: checker.Check) -> str | None:
        one = checker.Exercise(id="wait", title=check.name, task="-", points=0, checks=[check])
        only = lab.model_copy(update={"exercises": [one]})
        try:
            with checker.ReadOnlyClient.from_kubeconfig(kubeconfig) as client:
                outcome = checker.run_exercise(client, only, "wait")
        except checker.ClusterError as exc:
            raise ClusterError(str(exc)) from exc
        result = outcome.checks[0]
        return None if result.passed else check_failure_text(result)

    return wait
