"""lab.yaml: the pydantic models of a lab, and the loader that says file, line and field.

A lab is data (DESIGN.md): objectives, exercises with task, points, checks, hints and a
reference solution, plus optional setup and faults. kubelab executes steps; the checker
only models and validates them. Errors name the file, the line and the field path, because
the person reading them is editing that file.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import jmespath
import yaml
from jmespath.exceptions import JMESPathError
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from checker._errors import LabDataError
from checker._match import ExpectationError, Node, parse

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$")
DEFAULT_WITHIN = 5.0
_CHECK_KINDS = ("expect", "absent", "http", "context", "log", "order")
_TIME_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$")
# The lab format's version: every lab.yaml names it, so a later format can be told apart
# and refused with a clear word instead of misread (docs/lab-format.md).
LAB_API_VERSION = "kubelab.dev/v1"
LAB_KIND = "Lab"


# What a duration may be written as, for the JSON Schema (parse_duration is the rule).
_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^(\d+(\.\d+)?h)?(\d+(\.\d+)?m)?(\d+(\.\d+)?s)?$"},
    ],
    "description": "seconds, or a duration such as '30s', '2m', '1m30s'",
}


def parse_duration(value: Any) -> float:
    """Seconds from `30s`, `2m`, `1m30s`, `1h` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '30s' or '2m'")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).strip())
        if not match or not any(match.groups()):
            raise ValueError(
                f"{value!r} is not a duration; write seconds (30) or a string like '30s', '2m'"
            )
        h, m, s = (float(g) if g else 0.0 for g in match.groups())
        seconds = h * 3600 + m * 60 + s
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _object_tree(tree: Any) -> dict[str, Any]:
    if not isinstance(tree, dict):
        raise ValueError("must be one object (a map) with apiVersion and kind")
    for key in ("apiVersion", "kind"):
        if not isinstance(tree.get(key), str) or not tree[key]:
            raise ValueError(f"must name the object's {key}")
    meta = tree.get("metadata", {})
    if not isinstance(meta, dict):
        raise ValueError("metadata must be a map")
    return tree


class HttpCheck(_Model):
    """A GET through the API server's service proxy, with the answer expected.

    GET only: a grader that POSTed could change the application it grades.
    """

    service: str
    port: int | str
    path: str = "/"
    status: int = 200
    body_contains: str | None = Field(default=None, alias="bodyContains")
    json_: Any = Field(default=None, alias="json")

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("the path must start with '/'")
        return value


class ContextCheck(_Model):
    """A context of the lab kubeconfig: the current one (what the learner's kubectl uses),
    or the one called `name`.

    `namespace` may list several: a namespace a learner selected early in the course is
    legitimately replaced later (every lab's reset selects its own), and a grade taken at
    the end must still credit the early exercise.
    """

    name: str | None = Field(
        default=None,
        min_length=1,
        description="a context of that name (e.g. prod, for `kubectl --context prod`), which "
        "must name the same cluster and user as the current context; unset: the current context",
    )
    namespace: str | list[str] | None = None
    pattern: str | None = Field(
        default=None,
        description="a regular expression the whole namespace name must match, e.g. lab-\\d\\d",
    )

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return value


class LogCheck(_Model):
    """Lines of container logs, read through the API (`pods/log`, GET only).

    Evidence that a pod ran and saw something: a Job whose log says what it fetched. The pods
    are those of the check's namespace carrying every label of `selector` (a Job's pods carry
    `job-name: <job>`); the check passes when one pod's log has at least `count` lines that
    match `pattern` (a Python regular expression, searched in each line).
    """

    selector: dict[str, str] = Field(min_length=1)
    container: str | None = None
    pattern: str = Field(min_length=1)
    count: int = Field(default=1, ge=1)

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return value


class Moment(_Model):
    """One point in time of an `order` check: when an object (or an event) came to be.

    `object` is a partial object, matched like `expect:` (an Event, a ReplicaSet, a Job...);
    `time` is the dotted path of the timestamp to read (`metadata.creationTimestamp`,
    `status.startTime`, `firstTimestamp`), or a JMESPath expression in parentheses for a
    time inside a list, such as a condition's
    `(status.conditions[?type=='Ready'].lastTransitionTime | [0])`. When several objects
    match, the earliest time counts: the first time it happened. A string `${id}` anywhere in `object` (keys included)
    is replaced with the name of the object an earlier moment `id` found. A `pending` moment
    may not have happened yet: then it counts as later than everything.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    what: str = Field(min_length=1, description="the moment in words, for the learner")
    object: dict[str, Any]
    time: str
    pending: bool = False

    @field_validator("object", mode="before")
    @classmethod
    def _object(cls, value: Any) -> Any:
        return _object_tree(value)

    @field_validator("time")
    @classmethod
    def _path(cls, value: str) -> str:
        if value.startswith("(") and value.endswith(")"):
            try:
                jmespath.compile(value[1:-1])
            except JMESPathError as exc:
                raise ValueError(f"{value} is not a valid JMESPath expression ({exc})") from exc
            return value
        if not _TIME_FIELD.match(value):
            raise ValueError(
                f"{value!r} is not a dotted field path like status.startTime, nor a "
                "JMESPath expression in parentheses"
            )
        return value


class Check(_Model):
    """One graded assertion about the live cluster."""

    name: str = Field(min_length=1)
    message: str = Field(min_length=1)
    expect: dict[str, Any] | None = None
    absent: dict[str, Any] | None = None
    http: HttpCheck | None = None
    context: ContextCheck | None = None
    log: LogCheck | None = None
    order: list[Moment] | None = Field(default=None, min_length=2)
    within: Annotated[float, WithJsonSchema(_DURATION_SCHEMA)] = DEFAULT_WITHIN
    namespace: str | None = None
    guard: bool = Field(
        default=False,
        description=(
            "a condition that must already hold when the exercise starts (the fault is in "
            "place, nothing else broke): required for the points, worth none by itself"
        ),
    )

    @field_validator("within", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value)

    @field_validator("expect", "absent", mode="before")
    @classmethod
    def _object(cls, value: Any) -> Any:
        return None if value is None else _object_tree(value)

    @model_validator(mode="after")
    def _exactly_one(self) -> Check:
        given = [k for k in _CHECK_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a check needs exactly one of expect, absent, http, context, log or order"
                + (f" (found {', '.join(given)})" if given else "")
            )
        tree = self.expect if self.expect is not None else self.absent
        if tree is not None:
            try:
                parse(tree)
            except ExpectationError as exc:
                raise ValueError(f"{exc} (at {exc.path})") from exc
        if self.http is not None and self.http.json_ is not None:
            try:
                parse(self.http.json_)
            except ExpectationError as exc:
                raise ValueError(f"{exc} (at http.json.{exc.path})") from exc
        if self.order is not None:
            seen: list[str] = []
            for index, moment in enumerate(self.order):
                if moment.id in seen:
                    raise ValueError(f"order[{index}]: the id {moment.id!r} is used twice")
                for ref in re.findall(r"\$\{([^}]*)\}", yaml.safe_dump(moment.object)):
                    if ref not in seen:
                        raise ValueError(
                            f"order[{index}] ({moment.id}) refers to ${{{ref}}}, which is not "
                            "an earlier moment of this check"
                        )
                try:
                    parse(moment.object)
                except ExpectationError as exc:
                    raise ValueError(f"{exc} (at order[{index}].object.{exc.path})") from exc
                seen.append(moment.id)
        return self

    @property
    def kind(self) -> str:
        return next(k for k in _CHECK_KINDS if getattr(self, k) is not None)

    @property
    def tree(self) -> dict[str, Any] | None:
        return self.expect if self.expect is not None else self.absent

    def matcher(self) -> Node:
        """The parsed expectation (validated at load time, so this cannot fail)."""
        tree = self.tree
        assert tree is not None
        return parse(tree)


class ObjectRef(_Model):
    api_version: str = Field(alias="apiVersion")
    kind: str
    name: str
    namespace: str | None = None


class ApplyStep(_Model):
    apply: str = Field(description="path relative to the lab folder, a file or a folder")


class ManifestStep(_Model):
    manifest: dict[str, Any]

    @field_validator("manifest")
    @classmethod
    def _object(cls, value: Any) -> Any:
        return _object_tree(value)


class KubectlStep(_Model):
    kubectl: str = Field(min_length=1)


class DeleteStep(_Model):
    delete: ObjectRef


class WaitStep(_Model):
    wait: Check


class NodeAction(_Model):
    name: str
    action: Literal["start", "stop", "fill-memory", "free-memory"]


class NodeStep(_Model):
    """Stop or start a node (a kind container, a kubesim node): for node-failure labs; or
    start/end a process on it, outside any pod, that takes all but 60Mi of its free memory
    (`fill-memory`/`free-memory`: lab 11's node-memory-pressure)."""

    node: NodeAction


class ControlPlaneStep(_Model):
    """Stop or start the control plane (API server, controller manager, scheduler) while the
    nodes and the pod network keep running: the control-plane-down fault."""

    control_plane: Literal["start", "stop"] = Field(alias="controlPlane")


class PauseStep(_Model):
    """Let a fixed time pass, with nothing asked of the cluster: for a moment that must last
    while the API cannot answer (13-control-plane's outage), where a `wait` has nothing to
    read. Anything the cluster can show is a `wait`, never a pause."""

    pause: Annotated[float, WithJsonSchema(_DURATION_SCHEMA)] = Field(gt=0, le=120)

    @field_validator("pause", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value)


class SnapshotAction(_Model):
    save: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    restore: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

    @model_validator(mode="after")
    def _one(self) -> SnapshotAction:
        if (self.save is None) == (self.restore is None):
            raise ValueError("a snapshot step is exactly one of save or restore")
        return self


class SnapshotStep(_Model):
    """Save or restore a snapshot of the cluster's store (kind: etcd's, with etcdctl and
    etcdutl in the etcd pod; the simulator: its SQLite store's, it has no etcd): 13's
    exercise `snapshot`. The file is a plain name, kept in the lab's home (`snapshots/`)."""

    snapshot: SnapshotAction


_STEP_KINDS = (
    "apply", "manifest", "kubectl", "delete", "wait", "node", "controlPlane", "pause",
    "snapshot",
)  # fmt: skip


def _step_kind(value: Any) -> str | None:
    if isinstance(value, ControlPlaneStep):
        return "controlPlane"
    if isinstance(value, BaseModel):
        return next((k for k in _STEP_KINDS if hasattr(value, k)), None)
    if isinstance(value, dict):
        found = [k for k in _STEP_KINDS if k in value]
        return found[0] if len(found) == 1 else None
    return None


Step = Annotated[
    Annotated[ApplyStep, Tag("apply")]
    | Annotated[ManifestStep, Tag("manifest")]
    | Annotated[KubectlStep, Tag("kubectl")]
    | Annotated[DeleteStep, Tag("delete")]
    | Annotated[WaitStep, Tag("wait")]
    | Annotated[NodeStep, Tag("node")]
    | Annotated[ControlPlaneStep, Tag("controlPlane")]
    | Annotated[PauseStep, Tag("pause")]
    | Annotated[SnapshotStep, Tag("snapshot")],
    Discriminator(
        _step_kind,
        custom_error_type="step_kind",
        custom_error_message=(
            "a step is exactly one of apply, manifest, kubectl, delete, wait, node, controlPlane, "
            "pause or snapshot"
        ),
    ),
]


class Fault(_Model):
    description: str
    steps: list[Step]
    # what `kubelab fix NAME` runs; empty when fixing the fault is the learner's exercise
    undo: list[Step] = []
    # in the pool of `kubelab break --mystery`, which applies a few of its lab's mystery
    # faults and does not say which (14-capstone)
    mystery: bool = False


class Exercise(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    task: str
    points: int = Field(ge=0)
    checks: list[Check] = Field(min_length=1)
    hints: list[str] = []
    solution: list[Step] = []
    setup: list[Step] = []

    @model_validator(mode="after")
    def _unique_checks(self) -> Exercise:
        names = [c.name for c in self.checks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"check names must be unique within an exercise: {', '.join(dupes)}")
        if all(c.guard for c in self.checks):
            raise ValueError(
                "every check of this exercise is a guard; at least one must grade the work "
                "(a guard only says what must already hold)"
            )
        return self


class Lab(_Model):
    api_version: Literal["kubelab.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["Lab"]
    id: str = Field(pattern=r"^\d\d-[a-z0-9][a-z0-9-]*$")
    title: str
    minutes: int = Field(gt=0)
    objectives: list[str] = []
    namespace: str = "lab"
    setup: list[Step] = []
    faults: dict[str, Fault] = {}
    exercises: list[Exercise] = Field(min_length=1)
    folder: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_exercises(self) -> Lab:
        ids = [e.id for e in self.exercises]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"exercise ids must be unique: {', '.join(dupes)}")
        return self

    @property
    def points(self) -> int:
        return sum(e.points for e in self.exercises)

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)


# -- loading -------------------------------------------------------------------------------


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(root: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[int | None, tuple[Any, ...]]:
    """The line of the deepest YAML node on `loc`, and the loc parts that exist in the file.

    Parts pydantic adds (union tags) are skipped when the file has no such key; a missing
    required field is reported at its parent's line, under its own name.
    """
    node = root
    kept: list[Any] = []
    for index, part in enumerate(loc):
        nxt = None
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            nxt = node.value[part] if 0 <= part < len(node.value) else None
        if nxt is not None:
            node = nxt
            kept.append(part)
        elif index == len(loc) - 1 and isinstance(node, yaml.MappingNode):
            kept.append(part)
    line = node.start_mark.line + 1 if node is not None else None
    return line, tuple(kept)


def _duplicate_key(node: yaml.Node | None, loc: tuple[Any, ...] = ()) -> tuple[int, str] | None:
    """The first key written twice in one map, as (line, field path).

    YAML loaders keep the last value silently, so a lab author's second `checks:` would
    replace the first without a word; a lab file with a repeated key is refused instead.
    """
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen and key.value != "<<":
                return key.start_mark.line + 1, _field_path((*loc, key.value))
            seen.add(key.value)
            found = _duplicate_key(value, (*loc, key.value))
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _duplicate_key(item, (*loc, index))
            if found:
                return found
    return None


# libyaml's parser where PyYAML has it: every `kubelab` command loads every lab, and the
# pure-Python parser made that 0.45 s of CPU per command (the course tests run ~600 of them)
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The YAML's node tree (for lines and duplicate keys) and its data, from one parse."""
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def load_lab(path: Path | str) -> Lab:
    """Read and validate one lab.yaml; a LabDataError names file, line and field on failure."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabDataError(
            f"cannot read the file ({exc.strerror})", file=path, line=None, field=""
        ) from exc
    return _validated(path, text)


# Parsing and validating the fifteen labs is 75 ms of CPU, and a notebook kernel loads them
# for every exercise it shows and checks. The same file with the same text is the same Lab
# (the models are frozen), so a process parses each text once; a process forked after that
# (the course tests' kubelab commands) starts with them parsed. A failure is not kept.
@lru_cache(maxsize=64)
def _validated(path: Path, text: str) -> Lab:
    try:
        root, data = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise LabDataError(
            f"not valid YAML: {exc.problem or exc}", file=path, line=line, field=""
        ) from exc
    if not isinstance(data, dict):
        raise LabDataError("a lab.yaml must be a map of fields", file=path, line=1, field="")
    duplicate = _duplicate_key(root)
    if duplicate:
        line, field = duplicate
        raise LabDataError(
            "this key is already set above in the same map; YAML would silently keep only the "
            "last one. Merge the two or delete one",
            file=path,
            line=line,
            field=field,
        )
    version = _version_problem(data)
    if version:
        line, _ = _locate(root, ("apiVersion",))
        raise LabDataError(version, file=path, line=line or 1, field="apiVersion")
    try:
        lab = Lab.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        line, kept = _locate(root, tuple(first["loc"]))
        message = first["msg"].removeprefix("Value error, ")
        extra = len(exc.errors()) - 1
        if extra:
            message += f" (and {extra} more problem{'s' if extra > 1 else ''} in this file)"
        raise LabDataError(message, file=path, line=line, field=_field_path(kept)) from exc
    folder = path.parent
    if lab.id != folder.name:
        line, _ = _locate(root, ("id",))
        raise LabDataError(
            f"the lab id {lab.id!r} must equal its folder name {folder.name!r}",
            file=path,
            line=line,
            field="id",
        )
    return lab.model_copy(update={"folder": folder})


def _version_problem(data: dict[str, Any]) -> str | None:
    """Why this file is not in the lab format this kubelab reads, or None."""
    version, kind = data.get("apiVersion"), data.get("kind")
    if version is None:
        return (
            "this lab.yaml does not say which lab format it is written in: add "
            f"`apiVersion: {LAB_API_VERSION}` and `kind: {LAB_KIND}` as its first two lines "
            "(docs/lab-format.md)"
        )
    if version != LAB_API_VERSION:
        return (
            f"apiVersion {version!r} is not a lab format this kubelab reads (it reads "
            f"{LAB_API_VERSION}); a lab written for a newer kubelab needs a newer checkout "
            "of the course"
        )
    if kind != LAB_KIND:
        return f"kind must be {LAB_KIND!r} in a lab.yaml (found {kind!r})"
    return None


def lab_json_schema() -> dict[str, Any]:
    """The JSON Schema of lab.yaml, from the models (shipped as checker/lab.schema.json).

    Editors validate against it as the author types; `kubelab lint` adds what a schema
    cannot say (files that exist, manifests valid for Kubernetes, images the simulator
    runs). Rules written as validators (unique ids, exactly one check kind) live in the
    models only."""
    schema = Lab.model_json_schema(by_alias=True, mode="validation")
    schema["properties"].pop("folder", None)
    schema["$id"] = "https://kubelab.dev/schemas/lab-v1.json"
    schema["title"] = "kubelab lab.yaml (kubelab.dev/v1)"
    return schema


def discover_labs(root: Path | str) -> dict[str, Lab]:
    """Every `NN-slug/lab.yaml` under `root`, by id in order; folders starting `_` are skipped."""
    root = Path(root)
    labs: dict[str, Lab] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith(("_", ".")) or not (folder / "lab.yaml").is_file():
            continue
        lab = load_lab(folder / "lab.yaml")
        labs[lab.id] = lab
    return labs
