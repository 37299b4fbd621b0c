"""The in-process Kubernetes API: the single path for every read and write.

HTTP handlers call it for kubectl and the Python client; the controllers, scheduler
and kubelet (asyncio tasks in the same process) call it directly. It takes and returns
plain dicts and raises `ApiError` subclasses carrying the real `Status` body. Every write
runs the same pipeline kube-apiserver runs: decode checks -> defaulting
(`_admission.default`) -> validation (`_admission.validate`, honouring fieldValidation) ->
metadata (`_meta`) -> managedFields (`_ssa`) -> the store (one revision per write).

Methods are synchronous (the store is, and nothing awaits between read and write, so an
update cannot interleave with another); `watch` and pod logs are async.

Hooks for the live cluster (`Api.hooks`, see `hooks.py`):
  * `hooks.logs`            LogSource: container logs for `pods/log` (kubelet).
  * `hooks.proxy`           ProxyResolver: backend address for service/pod proxy
                            (endpoints + kube-proxy).
  * `hooks.metrics`         MetricsSource: metrics.k8s.io pod/node metrics.
  * `hooks.eviction_check`  called before an eviction deletes a pod (PDBs).
  * `hooks.tasks`           background tasks (controllers) started with the server.
  * `hooks.kubelet_running` / `hooks.garbage_collector_running`: switch pods to graceful
                            deletion finished by the kubelet, and foreground/orphan
                            propagation to finalizers the GC honours.
Controllers write with `field_manager=` their real manager name (e.g.
"kube-controller-manager") and use `update(..., subresource="status")` for status.
"""

from __future__ import annotations

import base64
import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubesim.apiserver import admission as _admission
from kubesim.apiserver import convert as _convert
from kubesim.apiserver import crd as _crd
from kubesim.apiserver import csr as _csr
from kubesim.apiserver import customresource as _customresource
from kubesim.apiserver import meta as _meta
from kubesim.apiserver import podsecurity as _podsecurity
from kubesim.apiserver import priority as _priority
from kubesim.apiserver import serviceaccount as _serviceaccount
from kubesim.apiserver.binding import bound_pod, check_binding
from kubesim.apiserver.crdopenapi import CustomKind
from kubesim.apiserver.defaulting.kinds import fill_zero_status
from kubesim.apiserver.defaulting.service import RangeFull, assign_addresses
from kubesim.apiserver.discovery import api_services
from kubesim.apiserver.hooks import Hooks
from kubesim.apiserver.patch import apply as _ssa
from kubesim.apiserver.patch import dispatch as _patch
from kubesim.apiserver.request import parse_int
from kubesim.apiserver.requestinfo import UserInfo
from kubesim.apiserver.serialization import load_yaml, loads_json
from kubesim.apiserver.signer import ClusterSigner
from kubesim.apiserver.validation.errors import Problems
from kubesim.apiserver.validation.names import is_dns1123_subdomain, validate_object_meta
from kubesim.apiserver.validation.pod import validate_ephemeral_update, validate_pod_resize
from kubesim.apiserver.watch import ApiWatch
from kubesim.core import limitranger
from kubesim.core.clock import Clock
from kubesim.core.errors import (
    MODIFIED,
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    InternalError,
    Invalid,
    MethodNotSupported,
    UnsupportedMediaType,
    UntypedError,
    already_exists,
    conflict,
    gone_expired,
    invalid,
    not_found,
    qualified,
    resource_not_found,
)
from kubesim.core.objects import deepcopy
from kubesim.core.quota import quota_status, resize_denial
from kubesim.core.resources import Registry, Resource, registry
from kubesim.core.selectors import make_filter, parse_field_selector, parse_label_selector
from kubesim.store.sqlite import Compacted, KeyExists, RevisionMismatch, Row, Store, TooLarge

Obj = dict[str, Any]
_ROOT_CA_DESCRIPTION_KEY = "kubernetes.io/description"
_ROOT_CA_DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
    "guaranteed across distributions of Kubernetes clusters."
)
# Quotas a create counts against, each with the status.used that includes it.
Charges = list[tuple[Obj, Obj]]
Objs = list[Obj]
# How many revisions of history compaction keeps (watchable window).
HISTORY = 10_000

_APPLY_PATCH = "application/apply-patch+yaml"
_IN_USE_PROTECTION = {
    "PersistentVolumeClaim": "kubernetes.io/pvc-protection",
    "PersistentVolume": "kubernetes.io/pv-protection",
}


@dataclass
class ListResult:
    kind: str
    api_version: str
    resource_version: str
    items: list[Row]
    continue_token: str = ""
    remaining: int | None = None
    view: Callable[[Obj], Obj] | None = None

    def objects(self) -> list[Obj]:
        if self.view is None:
            return [json.loads(r.raw) for r in self.items]
        return [self.view(r.obj) for r in self.items]

    def body(self) -> Obj:
        meta: Obj = {"resourceVersion": self.resource_version}
        if self.continue_token:
            meta["continue"] = self.continue_token
        if self.remaining is not None:
            meta["remainingItemCount"] = self.remaining
        return {
            "kind": self.kind,
            "apiVersion": self.api_version,
            "metadata": meta,
            "items": self.objects(),
        }


@dataclass
class WriteOptions:
    field_manager: str = ""
    field_validation: str = "Warn"
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    # Objects kubesim writes itself (bootstrap) are known valid: skipping validation keeps
    # the schema load (seconds) out of start-up.
    trusted: bool = False
    # The request body as sent (JSON), so the decoder can report repeated keys
    # (`duplicate field "spec.replicas"`) that parsing into a dict has already lost.
    raw: bytes | None = None
    # Who asks (a CertificateSigningRequest records its requestor); None for kubesim itself.
    user: UserInfo | None = None


@dataclass
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    preconditions: dict[str, Any] | None = None
    dry_run: bool = False

    @classmethod
    def from_body(cls, body: Obj | None, query: dict[str, str] | None = None) -> DeleteOptions:
        body = body or {}
        query = query or {}
        grace = body.get("gracePeriodSeconds", query.get("gracePeriodSeconds"))
        policy = body.get("propagationPolicy", query.get("propagationPolicy"))
        if policy is None:
            orphan = body.get("orphanDependents", query.get("orphanDependents"))
            if orphan in (True, "true"):
                policy = "Orphan"
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise BadRequest(
                f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                '"Foreground", "Background", "Orphan"'
            )
        dry = body.get("dryRun") or ([query["dryRun"]] if query.get("dryRun") else [])
        return cls(
            grace_period_seconds=_grace_value(grace, from_body="gracePeriodSeconds" in body),
            propagation_policy=policy,
            preconditions=body.get("preconditions"),
            dry_run="All" in dry,
        )


def _grace_value(value: Any, *, from_body: bool) -> int | None:
    """gracePeriodSeconds as the parameter codec (query: strconv.ParseInt) or the JSON
    decoder (body: an int64 field) reads it."""
    if value is None or value == "":
        return None
    if from_body:
        if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
            raise BadRequest(
                f"json: cannot unmarshal {_json_type(value)} into Go struct field "
                "DeleteOptions.gracePeriodSeconds of type int64"
            )
        return value
    return parse_int("gracePeriodSeconds", str(value))


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest(f"continue key is not valid: {exc}") from exc


def _encode_continue(rv: int, last_key: str) -> str:
    data = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": last_key + "\x00"})
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


class Api:
    """Kubernetes API semantics over a `Store`. See the module docstring for hooks."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        hooks: Hooks | None = None,
        reg: Registry | None = None,
        root_ca: str = "",
        service_account_key: bytes | None = None,
        signer: ClusterSigner | None = None,
    ) -> None:
        self.store = store
        self.tokens = _serviceaccount.TokenIssuer(service_account_key)
        # the cluster CA for the csrsigning controller; None leaves CSRs unsigned
        self.signer = signer
        self.clock = clock or Clock()
        self.hooks = hooks or Hooks()
        self.base_registry = reg or registry()
        self.registry = self.base_registry
        # (group, version, kind) of a custom resource -> its CRD version (schema, columns)
        self.custom_versions: dict[tuple[str, str, str], Obj] = {}
        self._custom_list_kinds: dict[tuple[str, str, str], str] = {}
        self.root_ca = root_ca
        self._refresh_custom_resources()

    # -- addressing ------------------------------------------------------------------------

    def resource(self, group: str, version: str, plural: str) -> Resource:
        res = self.registry.lookup(group, version, plural)
        if res is None:
            raise resource_not_found()
        return res

    def resource_for(self, api_version: str, kind: str) -> Resource:
        group, _, version = api_version.rpartition("/")
        res = self.registry.by_kind(group, version, kind)
        if res is None:
            raise resource_not_found()
        return res

    def _key(self, res: Resource, namespace: str | None, name: str) -> str:
        if res.namespaced:
            return f"/{res.storage}/{namespace}/{name}"
        return f"/{res.storage}/{name}"

    def _prefix(self, res: Resource, namespace: str | None) -> str:
        if res.namespaced and namespace:
            return f"/{res.storage}/{namespace}/"
        return f"/{res.storage}/"

    def _view(self, res: Resource) -> Callable[[Obj], Obj] | None:
        if res.custom and not res.storage_version:  # conversion strategy None
            return lambda obj: {**obj, "apiVersion": res.api_version}
        if _convert.needs_conversion(*res.gvk):
            return lambda obj: _convert.to_view(*res.gvk, obj)
        return None

    def _to_storage(self, res: Resource, obj: Obj) -> Obj:
        if res.custom and not res.storage_version:
            return {**obj, "apiVersion": self.registry.storage_resource(res).api_version}
        return _convert.from_view(*res.gvk, obj) if _convert.needs_conversion(*res.gvk) else obj

    # -- CustomResourceDefinitions ---------------------------------------------------------

    def _refresh_custom_resources(self) -> None:
        """Serve what the stored CRDs define, beside the built-in resources."""
        crds = self.base_registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        if crds is None:
            return
        custom: list[Resource] = []
        versions: dict[tuple[str, str, str], Obj] = {}
        list_kinds: dict[tuple[str, str, str], str] = {}
        builtin = {(r.group, r.plural) for r in self.base_registry.resources}
        for row in self.store.list(self._prefix(crds, None))[1]:
            for res in _crd.resources(row.obj):
                if (res.group, res.plural) in builtin:
                    continue
                custom.append(res)
                versions[res.gvk] = _crd.version(row.obj, res.version) or {}
                list_kinds[res.gvk] = str(_crd.accepted_names(row.obj)["listKind"])
        self.custom_versions = versions
        self._custom_list_kinds = list_kinds
        self.registry = Registry(self.base_registry.resources + tuple(custom))

    def _serve_crds(self) -> None:
        """What the stored CRDs define served, with their APIServices."""
        self._refresh_custom_resources()
        self.sync_api_services()

    def sync_api_services(self) -> None:
        """The autoregister and crdregistration controllers: an Available APIService per
        served group-version (`discovery.api_services`), and none left for a CRD group
        nothing serves any more."""
        res = self.resource("apiregistration.k8s.io", "v1", "apiservices")
        opts = WriteOptions(field_manager="kube-apiserver", trusted=True)
        wanted = api_services(self.registry)
        names = {obj["metadata"]["name"] for obj, _ in wanted}
        for row in self.store.list(self._prefix(res, None))[1]:
            labels = row.obj["metadata"].get("labels") or {}
            automanaged = labels.get("kube-aggregator.kubernetes.io/automanaged")
            if automanaged == "true" and row.obj["metadata"]["name"] not in names:
                self.store.delete(row.key, expected_rev=row.rev)
        for obj, condition in wanted:
            name = obj["metadata"]["name"]
            if self.store.get(self._key(res, None, name)) is not None:
                continue
            created = self.create(res, None, obj, options=opts)
            created["status"] = {
                "conditions": [
                    {**condition, "lastTransitionTime": created["metadata"]["creationTimestamp"]}
                ]
            }
            self.update(res, None, name, created, subresource="status", options=opts)

    def custom_kinds(self) -> list[CustomKind]:
        """Every served version of every CRD, with its schema and list kind."""
        return [
            CustomKind(res, self.custom_schema(res), self._custom_list_kinds[res.gvk])
            for res in self.registry.resources
            if res.custom
        ]

    def custom_schema(self, res: Resource) -> Obj:
        version = self.custom_versions.get(res.gvk) or {}
        return ((version.get("schema") or {}).get("openAPIV3Schema")) or {}

    def _crd_settled(self, res: Resource, row: Row) -> Obj:
        """After a CRD is written: the status its controllers converge to, and the
        resources it defines served (or, once it is deleted, its instances removed)."""
        obj = row.obj
        if obj["metadata"].get("deletionTimestamp"):
            return self._crd_cleanup(res, row)
        wanted = _crd.status(obj, obj.get("status"), self.clock.rfc3339())
        if wanted != obj.get("status"):
            row = self.store.update(row.key, {**obj, "status": wanted}, expected_rev=row.rev)
        self._serve_crds()
        return row.obj

    def _crd_cleanup(self, res: Resource, row: Row) -> Obj:
        """The customresourcecleanup finalizer: delete every instance, then let go."""
        obj = row.obj
        spec = obj.get("spec") or {}
        names = _crd.accepted_names(obj)
        prefix = f"/{spec.get('group', '')}/{names['plural']}/"
        for instance in self.store.list(prefix)[1]:
            with contextlib.suppress(KeyError, RevisionMismatch):
                self.store.delete(instance.key, expected_rev=instance.rev)
        self._serve_crds()
        finalizers = [
            f for f in obj["metadata"].get("finalizers") or [] if f != _crd.CLEANUP_FINALIZER
        ]
        if finalizers:
            updated = deepcopy(obj)
            updated["metadata"]["finalizers"] = finalizers
            updated["status"] = _crd.terminating(obj, self.clock.rfc3339())
            return self.store.update(row.key, updated, expected_rev=row.rev).obj
        final = deepcopy(obj)
        final["metadata"].pop("finalizers", None)
        return self.store.delete(row.key, expected_rev=row.rev, final=final).obj

    def _storage_res(self, res: Resource) -> Resource:
        if res.shared_storage:
            core = self.registry.lookup("", "v1", res.plural)
            return core or res
        return self.registry.storage_resource(res)

    def _not_found(self, res: Resource, name: str) -> ApiError:
        return not_found(res.plural, name, group=res.group)

    # -- reads -----------------------------------------------------------------------------

    def get_row(self, res: Resource, namespace: str | None, name: str) -> Row:
        self._check_verb(res, "get")
        row = self.store.get(self._key(res, namespace, name))
        if row is None:
            raise self._not_found(res, name)
        return row

    def get(self, res: Resource, namespace: str | None, name: str) -> Obj:
        row = self.get_row(res, namespace, name)
        view = self._view(res)
        return view(row.obj) if view else json.loads(row.raw)

    def list(
        self,
        res: Resource,
        namespace: str | None = None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
    ) -> ListResult:
        self._check_verb(res, "list")
        pred = make_filter(
            parse_label_selector(label_selector),
            parse_field_selector(field_selector, kind=res.kind),
        )
        rev, rows = self.store.list(self._prefix(res, namespace))
        if continue_token:
            token_rev, start = _decode_continue(continue_token)
            if token_rev < self.store.compact_revision:
                raise Gone(
                    "The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter, or use "
                    "the continue token in this response to retrieve the remainder of the "
                    "results. Continuing with the provided token results in an inconsistent "
                    "list - objects that were created, modified, or deleted between the time "
                    "the first chunk was returned and now may show up in the list."
                )
            rev = token_rev
            rows = [r for r in rows if self._list_position(res, r.key) >= start]
        view = self._view(res)
        if pred is not None:
            rows = [r for r in rows if pred(view(r.obj) if view else r.obj)]
        result = ListResult(
            kind=self._custom_list_kinds.get(res.gvk) or res.kind + "List",
            api_version=res.api_version,
            resource_version=str(rev),
            items=rows,
            view=view,
        )
        if limit and len(rows) > limit:
            result.items = rows[:limit]
            result.continue_token = _encode_continue(
                rev, self._list_position(res, rows[limit - 1].key)
            )
            if pred is None:
                result.remaining = len(rows) - limit
        return result

    def _list_position(self, res: Resource, key: str) -> str:
        return key[len(f"/{res.storage}/") :]

    def _check_verb(self, res: Resource, verb: str) -> None:
        if verb not in res.verbs:
            raise MethodNotSupported(
                f'{verb} is not supported on resources of kind "{res.plural}.{res.group}"'
                if res.group
                else f'{verb} is not supported on resources of kind "{res.plural}"'
            )

    # -- writes: create --------------------------------------------------------------------

    def create(
        self,
        res: Resource,
        namespace: str | None,
        body: Obj,
        *,
        options: WriteOptions | None = None,
    ) -> Obj:
        self._check_verb(res, "create")
        opts = options or WriteOptions()
        self._check_body_type(res, body)
        body = self._to_storage(res, deepcopy(body))
        sres = self._storage_res(res)
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise BadRequest("metadata must be an object")
        if res.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise BadRequest(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            namespace = namespace or meta.get("namespace") or "default"
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = _meta.generate_name(meta["generateName"])
            else:
                raise invalid(
                    sres.kind,
                    "",
                    [
                        {
                            "reason": "FieldValueRequired",
                            "message": "Required value: name or generateName is required",
                            "field": "metadata.name",
                        }
                    ],
                    group=sres.group,
                )
        return self._store_new(res, sres, namespace, body, opts, managed=None)

    def _out(self, res: Resource, obj: Obj) -> Obj:
        view = self._view(res)
        return view(obj) if view else deepcopy(obj)

    def _check_body_type(self, res: Resource, body: Any) -> None:
        if not isinstance(body, dict):
            raise BadRequest(
                f"the object provided is unrecognized (must be of type {res.kind}): "
                "couldn't get version/kind; json parse error: json: cannot unmarshal "
                f"{_json_type(body)} into Go value of type struct {{ APIVersion string "
                '"json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
            )
        api_version = body.get("apiVersion")
        if api_version and api_version != res.api_version:
            raise BadRequest(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({res.api_version})"
            )
        kind = body.get("kind")
        if kind and kind != res.kind:
            raise BadRequest(
                f'{kind} in version "{res.version}" cannot be handled as a {res.kind}: '
                f"converting (v1.{kind}) to (v1.{res.kind}): unknown conversion"
            )

    def _validate_ephemeral(self, res: Resource, obj: Obj, old: Obj, options: WriteOptions) -> Obj:
        """pods/ephemeralcontainers: only additions; returns the old object as the general
        update validation should see it (with the new ephemeral containers, its one change)."""
        errors = [] if options.trusted else validate_ephemeral_update(obj["spec"], old["spec"])
        if errors:
            causes = [{"reason": e.type, "message": e.message, "field": e.field} for e in errors]
            raise invalid(res.kind, obj["metadata"]["name"], causes, group=res.group)
        seen = deepcopy(old)
        seen["spec"]["ephemeralContainers"] = deepcopy(obj["spec"].get("ephemeralContainers"))
        if seen["spec"]["ephemeralContainers"] is None:
            del seen["spec"]["ephemeralContainers"]
        return seen

    def _validate_resize(self, res: Resource, obj: Obj, old: Obj, options: WriteOptions) -> Obj:
        """pods/resize: ValidatePodResize; returns the old pod with the new containers, as
        the general update validation should see it (the resize is its one change)."""
        qos = _meta.qos_class(obj)
        old_qos = (old.get("status") or {}).get("qosClass") or _meta.qos_class(old)
        errors = [] if options.trusted else validate_pod_resize(obj, old, qos=qos, old_qos=old_qos)
        if errors:
            causes = [{"reason": e.type, "message": e.message, "field": e.field} for e in errors]
            raise invalid(res.kind, obj["metadata"]["name"], causes, group=res.group)
        seen = deepcopy(old)
        for key in ("containers", "initContainers"):
            if key in obj["spec"]:
                seen["spec"][key] = deepcopy(obj["spec"][key])
        return seen

    def _custom_problems(self, res: Resource, obj: Obj, options: WriteOptions) -> Problems:
        """A custom resource: unknown fields pruned (refused when Strict), then its
        metadata and its CRD's schema."""
        problems = Problems()
        schema = self.custom_schema(res)
        dropped = _customresource.prune(obj, schema)
        unknown = [f'unknown field "{path}"' for path in dropped]
        mode = options.field_validation or "Warn"
        if unknown and mode == "Strict":
            problems.decode_error = (
                f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
                "strict decoding error: " + ", ".join(unknown)
            )
            return problems
        if mode == "Warn":
            problems.warnings.extend(unknown)
        problems.errors.extend(
            validate_object_meta(
                obj.get("metadata"), namespaced=res.namespaced, name_rule=is_dns1123_subdomain
            )
        )
        problems.errors.extend(_customresource.validate(obj, schema))
        return problems

    def _validate(self, res: Resource, obj: Obj, *, old: Obj | None, options: WriteOptions) -> None:
        if options.trusted:
            return
        if res.custom:
            problems = self._custom_problems(res, obj, options)
        else:
            problems = _admission.validate(
                res.gvk,
                obj,
                old=old,
                field_validation=options.field_validation or "Warn",
                raw=options.raw,
            )
        options.warnings.extend(problems.warnings)
        decode_error = getattr(problems, "decode_error", None)
        if decode_error:
            raise BadRequest(decode_error)
        if problems.errors:
            seen: set[str] = set()
            causes = []
            for err in problems.errors:
                cause = {"reason": err.type, "message": err.message, "field": err.field}
                text = f"{err.field}: {err.message}"
                if text not in seen:
                    seen.add(text)
                    causes.append(cause)
            name = obj.get("metadata", {}).get("name", "")
            raise invalid(res.kind, name, causes, group=res.group)

    # -- admission: LimitRanger and ResourceQuota -------------------------------------------

    def _in_namespace(self, plural: str, namespace: str | None) -> Objs:
        res = self.registry.lookup("", "v1", plural)
        if res is None or not namespace:
            return []
        return [r.obj for r in self.store.list(self._prefix(res, namespace))[1]]

    def _admit_create(
        self,
        sres: Resource,
        body: Obj,
        namespace: str | None,
        user: UserInfo | None = None,
        *,
        asked: Resource | None = None,
        limitranges: Objs | None = None,
    ) -> Obj:
        """Defaults, then the LimitRanger plugin's container defaults for a Pod and the
        DefaultStorageClass plugin's class for a claim that names none (mutating admission
        runs after decoding and before validation, as in kube-apiserver). A custom resource
        is defaulted by the schema of the version it was sent as (`asked`)."""
        obj = _admission.default(sres.gvk, body)
        if sres.custom:
            _customresource.default(obj, self.custom_schema(asked or sres))
        if sres.kind == "CertificateSigningRequest":
            obj = _csr.prepare_create(obj, user)
        if sres.kind == "Pod" and namespace:
            if limitranges:
                obj = limitranger.mutate_pod(obj, limitranges)
            self._admit_service_account(obj, namespace)
            self._admit_pod_priority(obj)
        if sres.kind in _IN_USE_PROTECTION:  # the StorageObjectInUseProtection plugin
            finalizers = obj["metadata"].setdefault("finalizers", [])
            if _IN_USE_PROTECTION[sres.kind] not in finalizers:
                finalizers.append(_IN_USE_PROTECTION[sres.kind])
        if sres.kind == "PersistentVolumeClaim":
            spec = obj.setdefault("spec", {})
            if spec.get("storageClassName") is None:  # "" asks for no class: left alone
                default_class = _admission.default_storage_class(
                    self.list(
                        self.resource("storage.k8s.io", "v1", "storageclasses"), None
                    ).objects()
                )
                if default_class is not None:
                    spec["storageClassName"] = default_class
        return obj

    def _limitranges_for(self, res: Resource, namespace: str | None, old: Obj | None) -> Objs:
        """The LimitRanges a write of a pod or claim is admitted against (read once per
        write, for both of the plugin's halves); none for an object being deleted."""
        if res.kind not in ("Pod", "PersistentVolumeClaim") or not namespace:
            return []
        if old is not None and old["metadata"].get("deletionTimestamp"):
            return []
        return self._in_namespace("limitranges", namespace)

    def _limit_ranger(self, res: Resource, obj: Obj, old: Obj | None, limitranges: Objs) -> None:
        """The LimitRanger plugin's validating half: 403 when a pod or claim is outside
        the bounds of one of `limitranges` (on an update, only what changed is checked)."""
        if not limitranges:
            return
        if res.kind == "Pod":
            why = limitranger.pod_denial(obj, limitranges, old)
        else:
            why = limitranger.claim_denial(obj, limitranges, old)
        if why:
            name = obj["metadata"]["name"]
            raise Forbidden(
                f'{res.plural} "{name}" is forbidden: {why}',
                details={"name": name, "kind": res.plural},
            )

    def _priority_classes(self) -> Objs:
        res = self.resource("scheduling.k8s.io", "v1", "priorityclasses")
        return [r.obj for r in self.store.list(self._prefix(res, None))[1]]

    def _admit_pod_priority(self, pod: Obj) -> None:
        """The Priority plugin on a Pod create (`priority.admit_pod_priority`), or 403."""
        why = _priority.admit_pod_priority(pod, self._priority_classes())
        if why:
            name = pod["metadata"].get("name", "")
            raise Forbidden(
                f'pods "{name}" is forbidden: {why}', details={"name": name, "kind": "pods"}
            )

    def _validate_priority_class(self, res: Resource, obj: Obj, *, update: bool) -> None:
        """The Priority plugin's validating half: only one global default (403)."""
        if res.kind != "PriorityClass":
            return
        why = _priority.admit_priority_class(obj, self._priority_classes(), update=update)
        if why:
            name = obj["metadata"].get("name", "")
            raise Forbidden(
                f'{qualified(res.plural, res.group)} "{name}" is forbidden: {why}',
                details={"name": name, "group": res.group, "kind": res.plural},
            )

    def _admit_service_account(self, pod: Obj, namespace: str) -> None:
        """The ServiceAccount plugin (`serviceaccount.admit_pod`): the token volume, or 403."""
        accounts = self.resource("", "v1", "serviceaccounts")

        def lookup(name: str) -> Obj | None:
            row = self.store.get(self._key(accounts, namespace, name))
            return row.obj if row is not None else None

        why = _serviceaccount.admit_pod(
            pod, namespace=namespace, lookup=lookup, generate_name=_meta.generate_name
        )
        if why:
            name = pod["metadata"].get("name", "")
            raise Forbidden(
                f'pods "{name}" is forbidden: {why}', details={"name": name, "kind": "pods"}
            )

    def _pod_security(
        self, sres: Resource, obj: Obj, old: Obj | None, namespace: str | None, opts: WriteOptions
    ) -> None:
        """The PodSecurity plugin (`podsecurity.py` decides): a Namespace's labels validated,
        and warnings for the pods a stricter enforce level would refuse; a Pod created against
        its namespace's enforce level (403) and warn level (a warning); a workload's pod
        template created or changed gets warnings for both. Pod updates are not evaluated."""
        if opts.trusted:
            return
        meta = obj.get("metadata") or {}
        if sres.kind == "Namespace":
            self._pod_security_namespace(obj, old, opts)
            return
        if not namespace:
            return
        template = _podsecurity.pod_template(sres.kind, obj)
        if template is None or (sres.kind == "Pod" and old is not None):
            return
        if old is not None and template == _podsecurity.pod_template(sres.kind, old):
            return
        ns = self.store.get(f"/core/namespaces/{namespace}")
        labels = ((ns.obj.get("metadata") or {}).get("labels") or {}) if ns else {}
        policy = _podsecurity.namespace_policy(labels)
        enforce, warn = policy["enforce"], policy["warn"]
        denied = _podsecurity.evaluate(enforce.level, *template)
        if denied and sres.kind == "Pod":
            name = meta.get("name", "")
            detail = _podsecurity.forbidden_detail(denied)
            raise Forbidden(
                f'pods "{name}" is forbidden: violates PodSecurity "{enforce}": {detail}',
                details={"name": name, "kind": "pods"},
            )
        for level, results in ((enforce, denied), (warn, None)):
            if level == enforce and results is None:
                continue  # warn at the enforce level says nothing enforce did not
            found = (
                results if results is not None else _podsecurity.evaluate(level.level, *template)
            )
            if found:
                detail = _podsecurity.forbidden_detail(found)
                opts.warnings.append(f'would violate PodSecurity "{level}": {detail}')

    def _pod_security_namespace(self, ns: Obj, old: Obj | None, opts: WriteOptions) -> None:
        labels = (ns.get("metadata") or {}).get("labels") or {}
        name = ns["metadata"]["name"]
        errors = _podsecurity.label_errors(labels)
        if errors:
            causes = [
                {"reason": "FieldValueInvalid", "message": message, "field": field}
                for field, message in errors
            ]
            raise invalid("Namespace", name, causes)
        if old is None:
            return
        new = _podsecurity.namespace_policy(labels)["enforce"]
        was = _podsecurity.namespace_policy((old.get("metadata") or {}).get("labels"))["enforce"]
        if new == was or new.level == "privileged":
            return
        pods = self._in_namespace("pods", name)
        opts.warnings.extend(_podsecurity.violating_pods_warnings(name, new, pods))

    def _quota_charges(
        self, res: Resource, sres: Resource, obj: Obj, namespace: str | None
    ) -> Charges:
        """The ResourceQuota plugin on a create: 403 when `obj` does not fit a quota of its
        namespace; else each touched quota with the `status.used` that counts `obj`, to
        write once the object is stored (so two creates cannot both take the last room)."""
        if not res.namespaced or not namespace:
            return []
        quotas = self._in_namespace("resourcequotas", namespace)
        if not quotas:
            return []
        resource = sres.plural if not sres.group else f"{sres.plural}.{sres.group}"
        name = obj["metadata"]["name"]
        quotas = [self._quota_with_usage(q, namespace) for q in quotas]
        why, charges = _admission.quota_admission(obj, quotas, resource=resource)
        if why:
            raise Forbidden(
                f'{qualified(res.plural, res.group)} "{name}" is forbidden: {why}',
                details={"name": name, "group": res.group, "kind": res.plural},
            )
        return charges

    def _quota_resize(self, res: Resource, pod: Obj, old: Obj) -> None:
        """The ResourceQuota plugin on a pods/resize: 403 when what the pod grows by does
        not fit a quota of its namespace (the quota controller counts it once stored)."""
        namespace = pod["metadata"].get("namespace")
        quotas = self._in_namespace("resourcequotas", namespace)
        if not quotas or not namespace:
            return
        quotas = [self._quota_with_usage(q, namespace) for q in quotas]
        why = resize_denial(pod, old, quotas)
        if why:
            name = pod["metadata"]["name"]
            raise Forbidden(
                f'pods "{name}" is forbidden: {why}', details={"name": name, "kind": "pods"}
            )

    def _quota_with_usage(self, quota: Obj, namespace: str) -> Obj:
        """A quota whose controller has not yet counted (`status.used` unset) is counted
        here, as the resourcequota controller would: kube-apiserver would answer `status
        unknown for quota` until then, a race kubesim has no reason to show."""
        hard = (quota.get("spec") or {}).get("hard") or {}
        status = quota.get("status") or {}
        if all(k in (status.get("used") or {}) for k in hard):
            return quota
        counted: dict[str, Objs] = {}
        for other in self.registry.resources:
            if not other.namespaced or other.virtual or other.shared_storage:
                continue
            if not other.storage_version:
                continue
            key = other.plural if not other.group else f"{other.plural}.{other.group}"
            counted[key] = [r.obj for r in self.store.list(self._prefix(other, namespace))[1]]
        return {**quota, "status": quota_status(quota, counted)}

    def _charge_quotas(self, charges: Charges) -> None:
        if not charges:
            return
        res = self.resource("", "v1", "resourcequotas")
        for quota, status in charges:
            meta = quota["metadata"]
            body = {**deepcopy(quota), "status": status}
            body["metadata"].pop("resourceVersion", None)
            try:
                self.update(
                    res,
                    meta["namespace"],
                    meta["name"],
                    body,
                    subresource="status",
                    options=WriteOptions(field_manager="kube-apiserver", trusted=True),
                )
            except ApiError:  # the quota went away meanwhile: nothing left to charge
                continue

    def _check_namespace_open(self, namespace: str | None) -> None:
        ns = self.store.get(f"/core/namespaces/{namespace}")
        if ns is None:
            raise not_found("namespaces", str(namespace))
        if ns.obj["metadata"].get("deletionTimestamp"):
            raise Forbidden(
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated",
                details={
                    "name": namespace,
                    "kind": "namespaces",
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )

    def _after_create(self, res: Resource, obj: Obj) -> None:
        """What controllers a kind cluster runs at once would add (kept minimal)."""
        if res.kind == "Namespace":
            ns = obj["metadata"]["name"]
            self._ensure("ServiceAccount", "v1", ns, "default", {})
            if self.root_ca:
                self._ensure(
                    "ConfigMap",
                    "v1",
                    ns,
                    "kube-root-ca.crt",
                    {
                        "metadata": {
                            "annotations": {_ROOT_CA_DESCRIPTION_KEY: _ROOT_CA_DESCRIPTION}
                        },
                        "data": {"ca.crt": self.root_ca},
                    },
                )

    def _ensure(self, kind: str, api_version: str, ns: str | None, name: str, extra: Obj) -> None:
        res = self.resource_for(api_version, kind)
        if self.store.get(self._key(res, ns, name)) is not None:
            return
        body = deepcopy(extra)
        body.update({"apiVersion": api_version, "kind": kind})
        body.setdefault("metadata", {})["name"] = name
        if ns:
            body["metadata"]["namespace"] = ns
        self.create(
            res,
            ns,
            body,
            options=WriteOptions(field_manager="kube-controller-manager", trusted=True),
        )

    def _allocate_service(self, svc: Obj, old: Obj | None = None) -> None:
        """Cluster IP and node ports as Service create allocates them (`defaulting.service`:
        random within the range, the low band kept for static picks), given what the other
        Services hold; a full range is the real 500. On an update (`old`) what the Service
        already holds is kept (patchAllocatedValues: a port's nodePort by port and protocol,
        the healthCheckNodePort) and only what is new is allocated, so a patch to NodePort
        or to `externalTrafficPolicy: Local` gets its ports at once; a Service that is no
        longer a Local LoadBalancer gives its healthCheckNodePort back."""
        if old is not None:
            _keep_allocated(svc, old)
        me = (svc.get("metadata") or {}).get("uid")
        others = [
            r.obj.get("spec") or {}
            for r in self.store.list("/core/services/")[1]
            if me is None or r.obj["metadata"].get("uid") != me
        ]
        taken_ips = {
            ip for s in others for ip in (s.get("clusterIPs") or [s.get("clusterIP")]) if ip
        }
        taken_ports = {
            p["nodePort"] for s in others for p in s.get("ports") or [] if p.get("nodePort")
        }
        try:
            assign_addresses(svc, taken_ips=taken_ips - {"None"}, taken_ports=taken_ports)
            spec = svc.get("spec") or {}
            if not (
                spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"
            ):
                spec.pop("healthCheckNodePort", None)
        except RangeFull as exc:
            what = "nodePort" if "node port" in str(exc) else "serviceIP"
            raise InternalError(
                f"Internal error occurred: failed to allocate a {what}: range is full"
            ) from exc

    # -- writes: update / patch ------------------------------------------------------------

    def update(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        body: Obj,
        *,
        subresource: str = "",
        options: WriteOptions | None = None,
    ) -> Obj:
        self._check_verb(res, "update")
        opts = options or WriteOptions()
        self._check_body_type(res, body)
        body_name = (body.get("metadata") or {}).get("name")
        if body_name and body_name != name:
            raise BadRequest(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        if res.namespaced:
            body_ns = (body.get("metadata") or {}).get("namespace")
            if body_ns and body_ns != namespace:
                raise BadRequest(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
        row = self.get_row(res, namespace, name)
        body = self._to_storage(res, deepcopy(body))
        rv = (body.get("metadata") or {}).get("resourceVersion")
        if rv and rv != str(row.rev):
            raise conflict(res.plural, name, MODIFIED, group=res.group)
        return self._write_update(
            res, row, body, subresource=subresource, opts=opts, operation="Update"
        )

    def _write_update(
        self,
        res: Resource,
        row: Row,
        body: Obj,
        *,
        subresource: str,
        opts: WriteOptions,
        operation: str,
        applied: bool = False,
    ) -> Obj:
        sres = self._storage_res(res)
        old = row.obj
        now = self.clock.rfc3339()
        body.setdefault("metadata", {})
        obj = _admission.default(sres.gvk, body)
        if sres.custom:
            _customresource.default(obj, self.custom_schema(res))
        if sres.kind == "Pod" and not subresource:
            _priority.keep_pod_priority(obj, old)
        limit_ranged = (sres.kind == "Pod" and subresource == "resize") or (
            sres.kind == "PersistentVolumeClaim" and not subresource
        )
        limitranges: Objs = []
        if limit_ranged:
            namespace = obj["metadata"].get("namespace") or old["metadata"].get("namespace")
            limitranges = self._limitranges_for(sres, namespace, old)
        if sres.kind == "Pod" and limitranges:
            # LimitRanger mutates a resize too; the resize strategy keeps only resources.
            obj = limitranger.mutate_pod(obj, limitranges)
        if sres.kind == "Namespace":
            # The `kubernetes` finalizer is the create strategy's (PrepareForCreate), not a
            # default: an update or finalize that removes it must not get it back.
            _keep_requested_finalizers(body, obj)
        # namespaces/{name}/finalize: the finalize strategy keeps the stored status and
        # takes the rest from the request, as the main update of a Namespace does here.
        strategy = "" if subresource == "finalize" else subresource
        if sres.kind == "CertificateSigningRequest":
            generic = _meta.prepare_update(sres, old, obj, subresource="")
            obj = _csr.prepare_update(old, generic, obj, subresource, now)
        else:
            obj = _meta.prepare_update(sres, old, obj, subresource=strategy)
        fill_zero_status(sres.gvk, obj)
        validate_against = old
        if subresource == "ephemeralcontainers":
            validate_against = self._validate_ephemeral(sres, obj, old, opts)
        elif subresource == "resize":
            validate_against = self._validate_resize(sres, obj, old, opts)
            self._quota_resize(res, obj, old)
        self._validate(res if res.custom else sres, obj, old=validate_against, options=opts)
        if sres.kind == "Service" and not subresource:
            self._allocate_service(obj, old)
        if not opts.trusted:
            self._limit_ranger(sres, obj, old, limitranges)
        self._validate_priority_class(sres, obj, update=True)
        if not subresource:
            self._pod_security(sres, obj, old, obj["metadata"].get("namespace"), opts)
        if not applied:
            obj = _ssa.record_update(
                old,
                obj,
                manager=opts.field_manager or "kubesim",
                operation=operation,
                gvk=sres.gvk,
                now=now,
                subresource=subresource,
            )
        if _meta.without_volatile(obj) == _meta.without_volatile(old) and (
            obj["metadata"].get("managedFields") == old["metadata"].get("managedFields")
            or not applied
        ):
            return self._out(res, old)  # a no-op write changes nothing, not even the rv
        if opts.dry_run:
            return self._out(res, obj)
        meta = obj["metadata"]
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            # ShouldDeleteDuringUpdate: no grace period left (a pod on a node: after the
            # kubelet's last delete, once its containers have stopped)
            and not old["metadata"].get("deletionGracePeriodSeconds")
            # ShouldDeleteNamespaceDuringUpdate: a namespace also waits for spec.finalizers
            and not (sres.kind == "Namespace" and obj.get("spec", {}).get("finalizers"))
        ):
            final = self.store.delete(row.key, expected_rev=row.rev, final=obj)
            if _is_crd(sres):
                self._serve_crds()
            return self._out(res, final.obj)
        try:
            new = self.store.update(row.key, obj, expected_rev=row.rev)
        except RevisionMismatch:
            raise conflict(
                res.plural, row.obj["metadata"]["name"], MODIFIED, group=res.group
            ) from None
        except TooLarge:
            raise _too_large() from None
        self._republish_root_ca(sres, new.obj)
        if _is_crd(sres):
            return self._out(res, self._crd_settled(sres, new))
        return self._out(res, new.obj)

    def patch(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        patch: Any,
        *,
        content_type: str,
        subresource: str = "",
        force: bool = False,
        options: WriteOptions | None = None,
    ) -> Obj:
        self._check_verb(res, "patch")
        opts = options or WriteOptions()
        content_type = content_type.split(";")[0].strip()
        if content_type == _APPLY_PATCH:
            return self._apply(
                res, namespace, name, patch, force=force, opts=opts, subresource=subresource
            )
        row = self.get_row(res, namespace, name)
        view = self._view(res)
        current = view(row.obj) if view else row.obj
        try:
            patched = _patch.apply_patch(current, patch, content_type=content_type, gvk=res.gvk)
        except _patch.PatchError as exc:
            code = getattr(exc, "code", 422)
            if code == 400:
                raise BadRequest(str(exc)) from exc
            if code == 415:
                raise UnsupportedMediaType(str(exc)) from exc
            raise Invalid(str(exc)) from exc
        if not isinstance(patched, dict):
            raise BadRequest("the patch did not produce an object")
        self._check_body_type(res, patched)
        pmeta = patched.get("metadata") or {}
        if pmeta.get("name") != name:
            raise BadRequest(
                f"the name of the object ({pmeta.get('name')}) does not match the name on "
                f"the URL ({name})"
            )
        if pmeta.get("resourceVersion") and pmeta["resourceVersion"] != str(row.rev):
            raise conflict(res.plural, name, MODIFIED, group=res.group)
        body = self._to_storage(res, deepcopy(patched))
        return self._write_update(
            res, row, body, subresource=subresource, opts=opts, operation="Update"
        )

    def _apply(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        patch: Any,
        *,
        force: bool,
        opts: WriteOptions,
        subresource: str,
    ) -> Obj:
        if not opts.field_manager:
            raise BadRequest(
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                "required for apply patch"
            )
        applied = _parse_apply_body(patch)
        self._check_body_type(res, applied)
        ameta = applied.get("metadata") or {}
        if ameta.get("name") and ameta["name"] != name:
            raise BadRequest(
                f"the name of the object ({ameta['name']}) does not match the name on the URL "
                f"({name})"
            )
        # Before any merge, whatever fieldValidation says: the typed conversion fails first.
        why = _admission.apply_patch_error(res.gvk, applied, namespace=namespace or "", name=name)
        if why is not None:
            raise UntypedError(why)
        sres = self._storage_res(res)
        row = self.store.get(self._key(res, namespace, name))
        now = self.clock.rfc3339()
        live = row.obj if row else None
        if live is not None and _convert.needs_conversion(*res.gvk):
            live = _convert.to_view(*res.gvk, live)
        try:
            merged = _ssa.server_side_apply(
                live, applied, manager=opts.field_manager, force=force, gvk=res.gvk, now=now
            )
        except _ssa.ApplyConflict as exc:
            raise Conflict(exc.message(), details={"causes": exc.causes()}) from exc
        merged = self._to_storage(res, merged)
        merged.setdefault("metadata", {})["name"] = name
        if row is None:
            merged.setdefault("apiVersion", res.api_version)
            merged.setdefault("kind", res.kind)
            if res.namespaced:
                merged["metadata"]["namespace"] = namespace
            managed = merged["metadata"].get("managedFields") or []
            return self._store_new(res, sres, namespace, merged, opts, managed=managed)
        return self._write_update(
            res, row, merged, subresource=subresource, opts=opts, operation="Apply", applied=True
        )

    def _store_new(
        self,
        res: Resource,
        sres: Resource,
        namespace: str | None,
        obj: Obj,
        opts: WriteOptions,
        *,
        managed: Objs | None,
    ) -> Obj:
        """A new object's way into the store, shared by create and a creating apply:
        namespace open, admission (defaults, LimitRange), validation, metadata, service
        IPs, quota, managedFields (`managed` from an apply, else an Update by the
        request's field manager), then one write."""
        if res.namespaced:
            self._check_namespace_open(namespace)
        now = self.clock.rfc3339()
        # The uid first: defaulting a Job selects its pods by it (controller-uid labels).
        uid = str(uuid.uuid4())
        obj.setdefault("metadata", {})["uid"] = uid
        limitranges = self._limitranges_for(sres, namespace, None)
        obj = self._admit_create(
            sres, obj, namespace, opts.user, asked=res, limitranges=limitranges
        )
        self._validate(res if res.custom else sres, obj, old=None, options=opts)
        self._limit_ranger(sres, obj, None, limitranges)
        if sres.kind == "CertificateSigningRequest" and not opts.trusted:
            why = _csr.subject_restriction(obj)
            if why:
                name = obj["metadata"]["name"]
                raise Forbidden(
                    f'certificatesigningrequests.certificates.k8s.io "{name}" is forbidden: {why}',
                    details={"name": name, "group": sres.group, "kind": sres.plural},
                )
        self._validate_priority_class(sres, obj, update=False)
        self._pod_security(sres, obj, None, namespace, opts)
        obj = _meta.prepare_create(sres, obj, now=now, uid=uid)
        fill_zero_status(sres.gvk, obj)  # the create strategy's zeroed status, as Go writes it
        if sres.kind == "Service":
            self._allocate_service(obj)
        charges = self._quota_charges(res, sres, obj, namespace)
        if managed is None:
            obj = _ssa.record_update(
                None,
                obj,
                manager=opts.field_manager or "kubesim",
                operation="Update",
                gvk=sres.gvk,
                now=now,
            )
        else:
            obj["metadata"]["managedFields"] = managed
        name = obj["metadata"]["name"]
        key = self._key(res, namespace, name)
        if opts.dry_run:
            if self.store.get(key) is not None:
                raise already_exists(res.plural, name, group=res.group)
            return self._out(res, obj)
        try:
            row = self.store.create(key, obj)
        except KeyExists:
            raise already_exists(res.plural, name, group=res.group) from None
        except TooLarge:
            raise _too_large() from None
        self._charge_quotas(charges)
        self._after_create(sres, row.obj)
        if _is_crd(sres):
            self._crd_settled(sres, row)
        return self._out(res, row.obj)

    # -- writes: pods/binding --------------------------------------------------------------

    def bind(self, namespace: str, pod_name: str, binding: Obj, *, dry_run: bool = False) -> Obj:
        """POST pods/{name}/binding: what the scheduler writes (`_binding.bound_pod` says
        what changes and what is refused)."""
        pods = self.resource("", "v1", "pods")
        problems = _admission.validate(
            ("", "v1", "Binding"), binding, old=None, field_validation="Ignore"
        )
        decode_error = getattr(problems, "decode_error", None)
        if decode_error:
            raise BadRequest(decode_error)
        check_binding(pod_name, binding)
        row = self.get_row(pods, namespace, pod_name)
        pod = bound_pod(row.obj, str(row.rev), binding, now=self.clock.rfc3339())
        if dry_run:
            return self._out(pods, pod)
        # The binding REST writes storage directly (GuaranteedUpdate), past the field
        # manager: a bound pod's managedFields name no scheduler.
        try:
            new = self.store.update(row.key, pod, expected_rev=row.rev)
        except RevisionMismatch:
            raise conflict("pods/binding", pod_name, MODIFIED) from None
        return self._out(pods, new.obj)

    # -- writes: delete --------------------------------------------------------------------

    def delete(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        *,
        options: DeleteOptions | None = None,
    ) -> Obj:
        self._check_verb(res, "delete")
        opts = options or DeleteOptions()
        row = self.get_row(res, namespace, name)
        why = _meta.check_preconditions(row.obj, opts.preconditions)
        if why:
            raise conflict(res.plural, name, why, group=res.group)
        obj = row.obj
        meta = obj["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if self.hooks.garbage_collector_running and opts.propagation_policy in (
            "Foreground",
            "Orphan",
        ):
            wanted = "foregroundDeletion" if opts.propagation_policy == "Foreground" else "orphan"
            if wanted not in finalizers:
                finalizers.append(wanted)
        if _is_crd(res) and _crd.CLEANUP_FINALIZER not in finalizers:
            finalizers.append(_crd.CLEANUP_FINALIZER)  # REST.Delete adds it, then cleans up
        grace = self._grace_period(obj, opts)
        if res.kind == "Namespace" and meta.get("deletionTimestamp"):
            if obj.get("spec", {}).get("finalizers"):
                raise conflict(
                    res.plural,
                    name,
                    "The system is ensuring all content is removed from this namespace.  "
                    "Upon completion, this namespace will automatically be purged by the "
                    "system.",
                )
            return self._out(res, obj)  # waits only for metadata.finalizers now
        if finalizers or grace > 0 or res.kind == "Namespace":
            if meta.get("deletionTimestamp") and finalizers == list(meta.get("finalizers") or []):
                # already terminating: only a shorter grace period changes it
                shorter = _meta.shortened_deletion(obj, opts.grace_period_seconds)
                if shorter is None or opts.dry_run:
                    return self._out(res, shorter or obj)
                return self._out(res, self.store.update(row.key, shorter, expected_rev=row.rev).obj)
            marked = _meta.mark_deleting(obj, now=self.clock.rfc3339(grace), grace=grace)
            marked["metadata"]["finalizers"] = finalizers
            if not finalizers:
                marked["metadata"].pop("finalizers", None)
            if res.kind == "Namespace":
                marked.setdefault("status", {})["phase"] = "Terminating"
            if opts.dry_run:
                return self._out(res, marked)
            new = self.store.update(row.key, marked, expected_rev=row.rev)
            if _is_crd(res):
                return self._out(res, self._crd_settled(res, new))
            if res.kind == "Namespace":
                if self.hooks.garbage_collector_running and new.obj.get("spec", {}).get(
                    "finalizers"
                ):
                    return self._out(res, new.obj)  # the namespace controller takes it on
                return self._finish_namespace(res, new)
            return self._out(res, new.obj)
        if opts.dry_run:
            return self._out(res, obj)
        final = self.store.delete(row.key, expected_rev=row.rev)
        self._after_delete(res, final.obj)
        return self._out(res, final.obj)

    def _after_delete(self, res: Resource, obj: Obj) -> None:
        """The root-CA publisher (kube-controller-manager's `root-ca-cert-publisher`)
        recreates `kube-root-ca.crt` in every namespace that is not terminating."""
        meta = obj.get("metadata") or {}
        if res.kind != "ConfigMap" or meta.get("name") != "kube-root-ca.crt" or not self.root_ca:
            return
        namespaces = self.resource("", "v1", "namespaces")
        ns = self.store.get(self._key(namespaces, None, meta.get("namespace") or ""))
        if ns is None or ns.obj["metadata"].get("deletionTimestamp"):
            return
        self._after_create(namespaces, ns.obj)

    def _republish_root_ca(self, res: Resource, obj: Obj) -> None:
        """The root-CA publisher's sync on an update: `kube-root-ca.crt` that no longer holds
        exactly the CA, or lost its description annotation, is written back (the writer's
        update succeeded; the controller undoes it, as on kind)."""
        meta = obj.get("metadata") or {}
        if res.kind != "ConfigMap" or meta.get("name") != "kube-root-ca.crt" or not self.root_ca:
            return
        if obj.get("data") == {"ca.crt": self.root_ca} and (meta.get("annotations") or {}).get(
            _ROOT_CA_DESCRIPTION_KEY
        ):
            return
        fixed = deepcopy(obj)
        fixed["data"] = {"ca.crt": self.root_ca}
        fixed["metadata"].setdefault("annotations", {})[_ROOT_CA_DESCRIPTION_KEY] = (
            _ROOT_CA_DESCRIPTION
        )
        with contextlib.suppress(ApiError):  # deleted or changed meanwhile: the next sync
            self.update(
                res,
                meta.get("namespace"),
                meta["name"],
                fixed,
                options=WriteOptions(field_manager="kube-controller-manager", trusted=True),
            )

    def _grace_period(self, obj: Obj, opts: DeleteOptions) -> int:
        """Seconds of graceful termination; 0 means delete at once."""
        if obj.get("kind") != "Pod":
            return 0
        if not self.hooks.kubelet_running or not obj.get("spec", {}).get("nodeName"):
            return 0
        if opts.grace_period_seconds is not None:
            return max(opts.grace_period_seconds, 0)
        return int(obj.get("spec", {}).get("terminationGracePeriodSeconds", 30))

    def _finish_namespace(self, res: Resource, row: Row) -> Obj:
        """Namespace deletion without a controller manager (`--no-controllers`): remove
        everything in it, then the namespace itself, at once. With one running, `delete`
        only marks the namespace Terminating; the namespace controller empties it and
        finalizes it (`namespaces/{name}/finalize`), and that write removes it."""
        ns = row.obj["metadata"]["name"]
        for other in self.registry.resources:
            if not other.namespaced or other.virtual or other.shared_storage:
                continue
            if not other.storage_version:
                continue
            for item in self.store.list(self._prefix(other, ns))[1]:
                self.store.delete(item.key)
        spec_final = [f for f in row.obj.get("spec", {}).get("finalizers", []) if f != "kubernetes"]
        if spec_final or row.obj["metadata"].get("finalizers"):
            return self._out(res, row.obj)
        final = self.store.delete(row.key)
        return self._out(res, final.obj)

    def delete_collection(
        self,
        res: Resource,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        options: DeleteOptions | None = None,
    ) -> ListResult:
        self._check_verb(res, "deletecollection")
        listing = self.list(
            res, namespace, label_selector=label_selector, field_selector=field_selector
        )
        for row in listing.items:
            meta = row.obj["metadata"]
            try:
                self.delete(res, meta.get("namespace"), meta["name"], options=options)
            except ApiError:
                continue
        return listing

    # -- watch -----------------------------------------------------------------------------

    def watch(
        self,
        res: Resource,
        namespace: str | None = None,
        *,
        resource_version: str = "",
        label_selector: str = "",
        field_selector: str = "",
        send_initial_events: bool = False,
        allow_bookmarks: bool = False,
    ) -> ApiWatch:

        self._check_verb(res, "watch")
        pred = make_filter(
            parse_label_selector(label_selector),
            parse_field_selector(field_selector, kind=res.kind),
        )
        prefix = self._prefix(res, namespace)
        initial: list[Row] | None = None
        try:
            if send_initial_events or resource_version in ("", "0"):
                store_watch = self.store.watch(prefix, after=None)
                initial = self.store.list(prefix)[1]
            else:
                try:
                    after = int(resource_version)
                except ValueError:
                    raise BadRequest(
                        f'resourceVersion: Invalid value: "{resource_version}": must be an integer'
                    ) from None
                store_watch = self.store.watch(prefix, after=min(after, self.store.revision))
        except Compacted as exc:
            raise gone_expired(exc.requested, exc.oldest) from exc
        return ApiWatch(
            self,
            res,
            store_watch,
            predicate=pred,
            view=self._view(res),
            initial=initial,
            initial_end_bookmark=send_initial_events,
            allow_bookmarks=allow_bookmarks,
        )

    # -- maintenance -----------------------------------------------------------------------

    def compact(self, *, keep: int = HISTORY) -> int:
        return self.store.compact(keep=keep)


def _too_large() -> UntypedError:
    """The store refused a value over etcd's --max-request-bytes (1.5 MiB): kube-apiserver
    passes etcd's error through untyped (500, no reason)."""
    return UntypedError("etcdserver: request is too large")


def _keep_allocated(svc: Obj, old: Obj) -> None:
    """What an updated Service keeps of what it held: node ports (by port and protocol)
    while it still wants them, its healthCheckNodePort, its cluster IP."""
    spec, held = svc.setdefault("spec", {}), old.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return
    if not spec.get("clusterIP") and held.get("clusterIP"):
        spec["clusterIP"] = held["clusterIP"]
        spec["clusterIPs"] = list(held.get("clusterIPs") or [held["clusterIP"]])
    if spec.get("type") in ("NodePort", "LoadBalancer"):
        ports = {
            (p.get("port"), p.get("protocol", "TCP")): p["nodePort"]
            for p in held.get("ports") or []
            if p.get("nodePort")
        }
        for port in spec.get("ports") or []:
            kept = ports.get((port.get("port"), port.get("protocol", "TCP")))
            if not port.get("nodePort") and kept:
                port["nodePort"] = kept
    if not spec.get("healthCheckNodePort") and held.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = held["healthCheckNodePort"]


def _keep_requested_finalizers(body: Obj, obj: Obj) -> None:
    if "spec" not in body:
        obj.pop("spec", None)  # prepare_update keeps the stored spec
        return
    wanted = (body.get("spec") or {}).get("finalizers")
    spec = obj.setdefault("spec", {})
    if wanted:
        spec["finalizers"] = list(wanted)
    else:
        spec.pop("finalizers", None)


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "null"


def _parse_apply_body(patch: Any) -> Obj:
    if isinstance(patch, dict):
        return deepcopy(patch)
    raw = patch if isinstance(patch, bytes) else str(patch).encode()
    try:
        data = loads_json(raw) if raw.lstrip()[:1] == b"{" else load_yaml(raw)
    except ValueError as exc:
        raise BadRequest(f"error decoding YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("error decoding YAML: the body of an apply patch must be an object")
    return data


def _is_crd(res: Resource) -> bool:
    return res.kind == "CustomResourceDefinition" and res.group == "apiextensions.k8s.io"
