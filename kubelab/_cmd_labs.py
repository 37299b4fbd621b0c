"""Lab commands that change the cluster: `kubelab break`, `kubelab reset`, `kubelab solve`.

    break NAME            apply one fault (fault names are global across labs)
    fix NAME              undo a fault that has an `undo:` (control-plane-down: bring it back)
    reset LAB [--yes]     start a control plane a fault stopped, back up everything in the
                          lab's namespace, uncordon and start nodes,
                          delete the namespace (and with it every object and event in it),
                          and run the lab's setup steps, which create it again
    solve LAB [EXERCISE]  the lab's setup first when its namespace does not exist (the lab was
                          never reset), then each exercise's setup and reference solution

Every one of them calls `require_lab_kubeconfig()` before anything else, so a kubeconfig
that points anywhere but the lab's own cluster is refused before a single process runs.
Labs are found exactly as `kubelab check` finds them (`_cmd_grading`). The steps themselves
are carried out by `_steps.StepRunner`; this module decides what reset deletes and prints.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

import checker
from kubelab import _mystery, _outage
from kubelab._app import app
from kubelab._backend_base import LabPaths, lab_paths, run_kubectl
from kubelab._backends import make_backend
from kubelab._cmd_grading import (
    ExerciseArg,
    LabArg,
    LabsDirOpt,
    labs_dir,
    load_labs,
    pick_exercise,
    pick_lab,
)
from kubelab._errors import UsageError
from kubelab._kubeconfig import LabKubeconfig, require_lab_kubeconfig
from kubelab._steps import StepError, StepRunner, checker_waiter, kubectl_said, stopped_nodes

# `reset` deletes the lab's whole namespace, so nothing a learner made there survives (a
# Secret, a ConfigMap, a Job, an Event). The backup before it lists every kind the cluster
# serves in a namespace (discovery), except events: history, not something to restore.
NOT_BACKED_UP = ("events", "events.events.k8s.io")
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NODE_READY_TIMEOUT = "120s"
NAMESPACE_DELETE_TIMEOUT = "180s"


# --- pure decisions -------------------------------------------------------------------


def fault_index(labs: dict[str, checker.Lab]) -> list[tuple[str, checker.Lab, checker.Fault]]:
    """Every fault of every lab, in lab order: (name, lab, fault)."""
    return [(name, lab, fault) for lab in labs.values() for name, fault in lab.faults.items()]


def find_fault(
    labs: dict[str, checker.Lab], name: str, *, lab_id: str | None = None
) -> tuple[checker.Lab, checker.Fault]:
    """The lab and fault called `name`; an unknown name lists every fault with what it does."""
    index = fault_index(labs)
    found = [(lab, f) for n, lab, f in index if n == name and lab_id in (None, lab.id)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        where = ", ".join(lab.id for lab, _ in found)
        raise UsageError(
            f"Several labs define a fault {name!r} ({where}); say which with --lab LAB."
        )
    listing = "; ".join(
        f"{n} ({lab.id}): {f.description.strip().rstrip('.')}" for n, lab, f in index
    )
    raise UsageError(
        f"There is no fault {name!r}. The faults are: {listing or '(none: no lab defines one)'}."
    )


API_RESOURCES_ARGS = ("api-resources", "--verbs=list", "--namespaced", "-o", "name")


def backup_kinds(api_resources: str) -> list[str]:
    """The kinds to back up, from `kubectl api-resources --verbs=list --namespaced -o name`."""
    names = [line.strip() for line in api_resources.splitlines() if line.strip()]
    return [n for n in dict.fromkeys(names) if n not in NOT_BACKED_UP]


def backup_args(kinds: Sequence[str], namespace: str) -> tuple[str, ...]:
    return ("get", ",".join(kinds), "-n", namespace, "-o", "yaml", "--ignore-not-found")


def delete_args(namespace: str) -> tuple[str, ...]:
    return (
        "delete", "namespace", namespace, "--ignore-not-found", "--wait=true",
        f"--timeout={NAMESPACE_DELETE_TIMEOUT}",
    )  # fmt: skip


def deleting_args(namespace: str) -> tuple[str, ...]:
    """Prints when the namespace's deletion began; nothing when it is not being deleted."""
    return (
        "get", "namespace", namespace, "--ignore-not-found",
        "-o", "jsonpath={.metadata.deletionTimestamp}",
    )  # fmt: skip


def wait_deleted_args(namespace: str) -> tuple[str, ...]:
    return (
        "wait",
        "--for=delete",
        f"namespace/{namespace}",
        f"--timeout={NAMESPACE_DELETE_TIMEOUT}",
    )


def namespace_args(namespace: str) -> tuple[str, ...]:
    """Prints the namespace's name when it exists, nothing when it does not."""
    return ("get", "namespace", namespace, "--ignore-not-found", "-o", "name")


def _nodes(nodes_json: str) -> list[dict[str, Any]]:
    try:
        return list(json.loads(nodes_json).get("items") or [])
    except (ValueError, AttributeError):
        return []


def nodes_to_uncordon(nodes_json: str) -> list[str]:
    """Nodes marked unschedulable (cordoned or drained), from `kubectl get nodes -o json`."""
    return [
        n["metadata"]["name"]
        for n in _nodes(nodes_json)
        if (n.get("spec") or {}).get("unschedulable")
    ]


def nodes_to_start(nodes_json: str, remembered: Sequence[str]) -> list[str]:
    """Nodes a fault stopped (remembered) plus any the cluster reports not Ready."""
    not_ready = [
        n["metadata"]["name"]
        for n in _nodes(nodes_json)
        if not any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (n.get("status") or {}).get("conditions") or []
        )
    ]
    return list(dict.fromkeys([*remembered, *not_ready]))


def backup_path(home: Path, lab_id: str, now: datetime) -> Path:
    """`<lab_home>/backups/<UTC timestamp>-<lab>.yaml`, never overwriting an earlier one."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = home / "backups" / f"{stamp}-{lab_id}.yaml"
    count = 1
    while path.exists():
        count += 1
        path = home / "backups" / f"{stamp}-{count}-{lab_id}.yaml"
    return path


def look_commands(fault: checker.Fault, namespace: str) -> list[str]:
    """What the notebook teaches to look with, for this fault's symptom."""
    commands = [
        f"kubectl get pods -n {namespace}",
        f"kubectl describe pod <pod-name> -n {namespace}",
        f"kubectl get events -n {namespace} --sort-by=.lastTimestamp",
    ]
    if any(_is_node_step(step) for step in fault.steps):
        commands.insert(0, "kubectl get nodes")
    if any(_is_control_plane_step(step) for step in fault.steps):
        # nothing answers but the pods themselves: kubectl shows the refusal
        commands = [f"kubectl get pods -n {namespace}", "kubectl get nodes", "kubelab status"]
    return commands


def _is_node_step(step: Any) -> bool:
    return (step.get("node") if isinstance(step, dict) else getattr(step, "node", None)) is not None


def _is_control_plane_step(step: Any) -> bool:
    if isinstance(step, dict):
        return step.get("controlPlane") is not None
    return getattr(step, "control_plane", None) is not None


# --- the edge -------------------------------------------------------------------------


def runner(paths: LabPaths, info: LabKubeconfig) -> StepRunner:
    """The step runner on the lab cluster: nodes through its backend, waits through the checker."""
    return StepRunner(
        paths,
        nodes=lambda: make_backend(info.backend, paths),
        waiter=checker_waiter(info.path),
        say=typer.echo,
        kubeconfig=info,
    )


def _guarded() -> tuple[LabPaths, LabKubeconfig]:
    """The guard first, before any lab file is read or any process runs."""
    info = require_lab_kubeconfig()
    return lab_paths(), info


LabOpt = Annotated[
    str | None, typer.Option("--lab", help="The lab whose fault it is, when two share a name.")
]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask; reset at once (a backup is still saved).")
]


MysteryOpt = Annotated[
    bool,
    typer.Option(
        "--mystery", help="Apply a few of the lab's mystery defects and do not say which."
    ),
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="With --mystery: the same seed breaks the same things.")
]
CountOpt = Annotated[
    int, typer.Option("--count", min=1, help="With --mystery: how many defects to apply.")
]
MinutesOpt = Annotated[
    int | None,
    typer.Option("--minutes", min=1, help="With --mystery: a time budget `kubelab check` reports."),
]


@app.command("break")
def break_(
    name: Annotated[
        str | None, typer.Argument(help="The fault's name, e.g. crashloop.", show_default=False)
    ] = None,
    lab: LabOpt = None,
    labs_dir_opt: LabsDirOpt = None,
    mystery: MysteryOpt = False,
    seed: SeedOpt = None,
    count: CountOpt = _mystery.DEFAULT_COUNT,
    minutes: MinutesOpt = None,
) -> None:
    """Break the lab cluster on purpose: apply one of the course's faults, or with --mystery
    a few of a lab's defects without saying which."""
    paths, info = _guarded()
    labs = load_labs(labs_dir(labs_dir_opt))
    if mystery:
        if name is not None:
            raise UsageError(
                f"`kubelab break --mystery` chooses the faults itself; leave out {name!r}, "
                f"or break that one fault by name without --mystery."
            )
        _break_mystery(paths, info, labs, lab_id=lab, seed=seed, count=count, minutes=minutes)
        return
    if name is None:
        raise UsageError(
            "Say which fault to apply: `kubelab break NAME` (a name no lab has lists them all), "
            "or add --mystery to have a lab's defects chosen for you."
        )
    if seed is not None or minutes is not None:
        raise UsageError("--seed and --minutes go with --mystery only.")
    the_lab, fault = find_fault(labs, name, lab_id=lab)
    typer.echo(f"Breaking lab {the_lab.id} with fault {name}:")
    runner(paths, info).run(the_lab, fault.steps, phase=f"fault {name}")
    typer.echo(f"\nDone. {fault.description.strip()}")
    typer.echo("\nFind the symptom the way the notebook teaches:")
    for command in look_commands(fault, the_lab.namespace):
        typer.echo(f"  {command}")
    if fault.undo:
        typer.echo(f"\nTo undo this fault: kubelab fix {name}")
    typer.echo(f"\nTo put everything back: kubelab reset {the_lab.id}")


def mystery_lab(labs: dict[str, checker.Lab], lab_id: str | None) -> checker.Lab:
    """The lab a mystery break is for: the one named, or the only lab with mystery faults."""
    if lab_id is not None:
        the_lab = pick_lab(labs, lab_id)
        if not _mystery.pool(the_lab):
            raise UsageError(
                f"Lab {the_lab.id} has no mystery faults (`mystery: true` in its lab.yaml), so "
                "there is nothing to choose from. " + _mystery_labs_said(labs)
            )
        return the_lab
    found = [item for item in labs.values() if _mystery.pool(item)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError("No lab has mystery faults (`mystery: true` in its lab.yaml).")
    raise UsageError(f"Say which lab with --lab LAB. {_mystery_labs_said(labs)}")


def _mystery_labs_said(labs: dict[str, checker.Lab]) -> str:
    found = [item.id for item in labs.values() if _mystery.pool(item)]
    return f"Labs with mystery faults: {', '.join(found) or 'none'}."


def _break_mystery(
    paths: LabPaths,
    info: LabKubeconfig,
    labs: dict[str, checker.Lab],
    *,
    lab_id: str | None,
    seed: int | None,
    count: int,
    minutes: int | None,
) -> None:
    the_lab = mystery_lab(labs, lab_id)
    names = _mystery.pool(the_lab)
    chosen_seed = seed if seed is not None else secrets.randbelow(1_000_000)
    chosen = _mystery.choose(names, seed=chosen_seed, count=count)
    typer.echo(f"Breaking lab {the_lab.id}: a mystery (seed {chosen_seed}).")
    quiet = StepRunner(
        paths,
        nodes=lambda: make_backend(info.backend, paths),
        waiter=checker_waiter(info.path),
        say=lambda _line: None,  # each step would name its defect
        kubeconfig=info,
    )
    for number, fault_name in enumerate(chosen, 1):
        quiet.run(the_lab, the_lab.faults[fault_name].steps, phase=f"mystery defect {number}")
    _mystery.remember(
        paths.home,
        _mystery.Mystery(
            lab=the_lab.id,
            seed=chosen_seed,
            count=count,
            started=_mystery.now().isoformat(timespec="seconds"),
            minutes=minutes,
        ),
    )
    namespace = the_lab.namespace
    typer.echo(
        f"\nDone. Something in namespace {namespace} is no longer production ready: "
        f"{len(chosen)} of the lab's {len(names)} possible defects, and this is all it says."
    )
    if minutes is not None:
        typer.echo(f"You have {minutes} minutes; `kubelab check {the_lab.id}` keeps the time.")
    typer.echo("\nAudit it the way the notebook teaches:")
    for command in (
        f"kubectl get deployment,pods,pdb,hpa,resourcequota,networkpolicy -n {namespace}",
        f"kubectl get deployments -n {namespace} -o yaml",
        f"kubectl describe replicaset -n {namespace}",
        f"kubelab check {the_lab.id}",
    ):
        typer.echo(f"  {command}")
    typer.echo(f"\nTo put everything back: kubelab reset {the_lab.id}")


@app.command()
def fix(
    name: Annotated[str, typer.Argument(help="The fault's name, e.g. control-plane-down.")],
    lab: LabOpt = None,
    labs_dir_opt: LabsDirOpt = None,
) -> None:
    """Undo a fault that the learner is not meant to repair by hand (its `undo:` steps)."""
    paths, info = _guarded()
    the_lab, fault = find_fault(load_labs(labs_dir(labs_dir_opt)), name, lab_id=lab)
    if not fault.undo:
        raise UsageError(
            f"The fault {name} (lab {the_lab.id}) has no undo: repairing it is the exercise. "
            f"Find the cause with `kubectl get pods -n {the_lab.namespace}` and `kubectl "
            f"describe`, or start the lab over with `kubelab reset {the_lab.id}`."
        )
    typer.echo(f"Undoing fault {name} of lab {the_lab.id}:")
    runner(paths, info).run(the_lab, fault.undo, phase=f"undo of {name}")
    typer.echo(f"\nDone. Look again with `kubectl get pods -n {the_lab.namespace}`.")


@app.command()
def reset(
    lab: LabArg, exercise: ExerciseArg = None, yes: YesOpt = False, labs_dir_opt: LabsDirOpt = None
) -> None:
    """Return the lab's namespace to the lab's start, or to the start of one exercise
    (earlier exercises solved, this one's setup applied). Your objects are backed up first."""
    paths, info = _guarded()
    the_lab = pick_lab(load_labs(labs_dir(labs_dir_opt)), lab)
    target = pick_exercise(the_lab, exercise) if exercise else None
    namespace = the_lab.namespace
    if namespace in PROTECTED_NAMESPACES:
        raise UsageError(
            f"Lab {the_lab.id} works in namespace {namespace!r}, which belongs to the cluster; "
            "reset only ever empties a lab's own namespace. Fix `namespace:` in its lab.yaml."
        )
    if not yes and not typer.confirm(
        f"Reset lab {the_lab.id}? This deletes namespace {namespace} with everything in it "
        "(saved to a backup file first) and runs the lab's setup.",
        default=False,
    ):
        typer.echo("Nothing was changed.")
        raise typer.Exit(1)

    if _outage.stopped_by_us(paths):  # nothing else answers until the API server is back
        runner(paths, info).run(the_lab, [{"controlPlane": "start"}], phase="control plane")
    saved = _backup(paths, the_lab)
    typer.echo(f"Saved what is in namespace {namespace} to {saved}")
    _mystery.forget(paths.home, the_lab.id)  # the lab starts over: so does its clock
    # nodes first: a pod on a stopped node stays Terminating until its kubelet is back
    _restore_nodes(paths, info, the_lab)
    _empty_namespace(paths, the_lab, saved)
    _release_volumes(paths, the_lab)
    steps = runner(paths, info)
    steps.run(the_lab, the_lab.setup, phase="setup")
    where = "its start"
    if target is not None:
        for item in the_lab.exercises:
            if item.id == target.id:
                break
            steps.run(the_lab, item.setup, phase=f"setup of {item.id}")
            steps.run(the_lab, item.solution, phase=f"solution of {item.id}")
        steps.run(the_lab, target.setup, phase=f"setup of {target.id}")
        where = f"the start of exercise {target.id}"
    typer.echo(
        f"\nLab {the_lab.id} is back at {where}. Your objects from before are in {saved} "
        f"(`kubectl apply -f {saved}` brings one back)."
    )


def _backup(paths: LabPaths, lab: checker.Lab) -> Path:
    def refuse(args: Sequence[str], said: str) -> StepError:
        return StepError(
            f"Lab {lab.id}: reset could not save what is in namespace {lab.namespace} (`kubectl "
            f"{' '.join(args)}` failed: {said}), so it deleted nothing. Run `kubelab status` "
            "to see whether the cluster answers."
        )

    found = run_kubectl(paths, *API_RESOURCES_ARGS)
    kinds = backup_kinds(found.stdout) if found.ok else []
    if not kinds:
        raise refuse(API_RESOURCES_ARGS, kubectl_said(found) if not found.ok else "no kinds")
    args = backup_args(kinds, lab.namespace)
    listed = run_kubectl(paths, *args)
    if not listed.ok:
        raise refuse(args, kubectl_said(listed))
    path = backup_path(paths.home, lab.id, datetime.now(UTC))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(listed.stdout)
    return path


def _empty_namespace(paths: LabPaths, lab: checker.Lab, saved: Path) -> None:
    """Delete the lab's namespace and wait until it is gone: its objects and events go too."""
    namespace = lab.namespace
    args = delete_args(namespace)
    typer.echo(f"  [reset] kubectl {' '.join(args)}")
    done = run_kubectl(paths, *args)
    if not done.ok and _deleting_or_gone(paths, namespace):
        # already being deleted (`kubectl delete namespace` by hand, or a reset cut short):
        # the API server refuses a second delete (409 Conflict, "The system is ensuring all
        # content is removed") until the first has emptied it, so wait for that one
        args = wait_deleted_args(namespace)
        typer.echo(f"  [reset] kubectl {' '.join(args)}")
        done = run_kubectl(paths, *args)
    if not done.ok:
        raise StepError(
            f"Lab {lab.id}: reset failed while deleting namespace {namespace} (`kubectl "
            f"{' '.join(args)}`). kubectl said: {kubectl_said(done)} Nothing is lost: the "
            f"backup is {saved}. Run `kubelab reset {lab.id}` again."
        )


def _deleting_or_gone(paths: LabPaths, namespace: str) -> bool:
    """After a refused delete: the namespace is being deleted, or that deletion ended between
    the refusal and this look (then `kubectl wait --for=delete` returns at once)."""
    deleting = run_kubectl(paths, *deleting_args(namespace))
    if not deleting.ok:
        return False
    if deleting.stdout.strip():
        return True
    there = run_kubectl(paths, *namespace_args(namespace))
    return there.ok and not there.stdout.strip()


def released_volumes(listing: dict[str, Any], namespace: str) -> list[str]:
    """The PersistentVolumes Released by claims of `namespace` (their claims are gone)."""
    return sorted(
        str(pv["metadata"]["name"])
        for pv in listing.get("items") or []
        if ((pv.get("status") or {}).get("phase") == "Released")
        and ((pv.get("spec") or {}).get("claimRef") or {}).get("namespace") == namespace
    )


def _release_volumes(paths: LabPaths, lab: checker.Lab) -> None:
    """Volumes are cluster-wide, so a namespace's deletion leaves a Retain volume its claim
    released there: the lab's earlier attempt would then pass its next one. Their objects go
    (as an admin's `kubectl delete pv` does); under Retain the data stays on the node."""
    listed = run_kubectl(paths, "get", "pv", "-o", "json")
    if not listed.ok:
        return  # nothing to release, or no answer: the namespace is gone either way
    names = released_volumes(json.loads(listed.stdout or "{}"), lab.namespace)
    if names:
        args = ["delete", "pv", *names, "--wait=false"]
        typer.echo(f"  [reset] kubectl {' '.join(args)}")
        run_kubectl(paths, *args)


def _namespace_exists(paths: LabPaths, lab: checker.Lab) -> bool:
    found = run_kubectl(paths, *namespace_args(lab.namespace))
    if not found.ok:
        raise StepError(
            f"Lab {lab.id}: could not look up namespace {lab.namespace} (`kubectl "
            f"{' '.join(namespace_args(lab.namespace))}`): {kubectl_said(found)} Run `kubelab "
            "status` to see whether the cluster answers."
        )
    return bool(found.stdout.strip())


def _restore_nodes(paths: LabPaths, info: LabKubeconfig, lab: checker.Lab) -> None:
    listed = run_kubectl(paths, "get", "nodes", "-o", "json")
    if not listed.ok:
        raise StepError(
            f"Lab {lab.id}: reset could not list the nodes (`kubectl get nodes -o json`): "
            f"{kubectl_said(listed)} Run `kubelab status` to see whether the cluster answers."
        )
    steps: list[dict[str, Any]] = [
        {"kubectl": f"uncordon {name}"} for name in nodes_to_uncordon(listed.stdout)
    ]
    starting = nodes_to_start(listed.stdout, stopped_nodes(paths))
    steps += [{"node": {"name": name, "action": "start"}} for name in starting]
    steps += [
        {"kubectl": f"wait --for=condition=Ready node/{name} --timeout={NODE_READY_TIMEOUT}"}
        for name in starting
    ]
    if steps:
        runner(paths, info).run(lab, steps, phase="nodes")


@app.command()
def solve(
    lab: LabArg,
    exercise: ExerciseArg = None,
    labs_dir_opt: LabsDirOpt = None,
    setup_only: bool = typer.Option(
        False, "--setup-only", help="Only apply the exercise's setup: the state it starts from."
    ),
) -> None:
    """Apply the reference solution of one exercise, or of every exercise in order."""
    paths, info = _guarded()
    the_lab = pick_lab(load_labs(labs_dir(labs_dir_opt)), lab)
    chosen = [pick_exercise(the_lab, exercise)] if exercise else list(the_lab.exercises)
    steps = runner(paths, info)
    if not _namespace_exists(paths, the_lab):
        typer.echo(
            f"Namespace {the_lab.namespace} does not exist yet: running lab {the_lab.id}'s "
            "setup first (as `kubelab reset` would)."
        )
        steps.run(the_lab, the_lab.setup, phase="setup")
    for item in chosen:
        typer.echo(
            f"{'Setting up' if setup_only else 'Solving'} {the_lab.id} / {item.id}: {item.title}"
        )
        if not item.setup and not item.solution:
            typer.echo("  (this exercise has no reference solution)")
        steps.run(the_lab, item.setup, phase=f"setup of {item.id}")
        if not setup_only:
            steps.run(the_lab, item.solution, phase=f"solution of {item.id}")
    if setup_only:
        return
    typer.echo(
        f"\nDone. Check it with: kubelab check {the_lab.id}" + (f" {exercise}" if exercise else "")
    )
