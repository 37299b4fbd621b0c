"""Name, label and annotation syntax, with apimachinery's exact messages.

Each `is_*` returns a list of detail strings (empty when valid), as the Go helpers in
apimachinery/pkg/util/validation do, so callers wrap them in `field.Invalid` the same way.
`validate_object_meta` applies them to `metadata` the way ValidateObjectMeta does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kubesim.apiserver.validation.errors import FieldError, invalid, required, too_long

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + "(\\." + _DNS1123_LABEL + ")*"
_DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _QUALIFIED_NAME + ")?"
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character"
)


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """validation.RegexError: note the double space Go leaves before each ` or`."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    msg += " (e.g. "
    for i, example in enumerate(examples):
        if i > 0:
            msg += " or "
        msg += f"'{example}', "
    return msg + f"regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def _full(fmt: str) -> re.Pattern[str]:
    return re.compile("^" + fmt + "$")


_LABEL_RE = _full(_DNS1123_LABEL)
_SUBDOMAIN_RE = _full(_DNS1123_SUBDOMAIN)
_DNS1035_RE = _full(_DNS1035_LABEL)
_QNAME_RE = _full(_QUALIFIED_NAME)
_LABEL_VALUE_RE = _full(_LABEL_VALUE)


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _LABEL_RE.match(value):
        if _SUBDOMAIN_RE.match(value):
            errs.append("must not contain dots")
        else:
            errs.append(
                regex_error(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric character",
                    _DNS1123_LABEL,
                    "my-name",
                    "123-abc",
                )
            )
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _SUBDOMAIN_RE.match(value):
        errs.append(
            regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN,
                "example.com",
            )
        )
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1035_RE.match(value):
        errs.append(
            regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                "start with an alphabetic character, and end with an alphanumeric character",
                _DNS1035_LABEL,
                "my-name",
                "abc-123",
            )
        )
    return errs


def is_path_segment_name(value: str) -> list[str]:
    """ValidatePathSegmentName: the rule for kinds whose names only have to fit in a URL."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    for bad in ("/", "%"):
        if bad in value:
            return [f"may not contain '{bad}'"]
    return []


def is_qualified_name(value: str) -> list[str]:
    """A label key or annotation key: optional DNS-subdomain prefix, '/', then a name."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(_QNAME_MSG, _QUALIFIED_NAME, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if name and not _QNAME_RE.match(name):
        errs.append(
            "name part " + regex_error(_QNAME_MSG, _QUALIFIED_NAME, "MyName", "my.name", "123-abc")
        )
    return errs


def is_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _LABEL_VALUE_RE.match(value):
        errs.append(
            regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


def validate_labels(labels: Any, path: str) -> list[FieldError]:
    """ValidateLabels: keys and values both report at the map's path."""
    errs: list[FieldError] = []
    if not isinstance(labels, dict):
        return errs
    for key, value in labels.items():
        errs.extend(invalid(path, key, m) for m in is_qualified_name(key))
        if isinstance(value, str):
            errs.extend(invalid(path, value, m) for m in is_label_value(value))
    return errs


_ANNOTATIONS_MAX = 256 * 1024


def validate_annotations(annotations: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if not isinstance(annotations, dict):
        return errs
    total = 0
    for key, value in annotations.items():
        errs.extend(invalid(path, key, m) for m in is_qualified_name(key.lower()))
        total += len(key) + len(value if isinstance(value, str) else "")
    if total > _ANNOTATIONS_MAX:
        errs.append(too_long(path, _ANNOTATIONS_MAX))
    return errs


NameRule = Callable[[str], list[str]]


def validate_object_meta(meta: Any, *, namespaced: bool, name_rule: NameRule) -> list[FieldError]:
    """ValidateObjectMeta for a create or update: name, namespace, labels, annotations."""
    meta = meta if isinstance(meta, dict) else {}
    errs: list[FieldError] = []
    name = meta.get("name") or ""
    generate = meta.get("generateName") or ""
    if generate:
        # Go masks one trailing dash: a prefix like "web-" is fine.
        masked = generate[:-1] + "a" if len(generate) > 1 and generate.endswith("-") else generate
        errs.extend(invalid("metadata.generateName", generate, m) for m in name_rule(masked))
    if not name:
        if not generate:
            errs.append(required("metadata.name", "name or generateName is required"))
    else:
        errs.extend(invalid("metadata.name", name, m) for m in name_rule(name))
    namespace = meta.get("namespace") or ""
    if namespaced and namespace:
        errs.extend(
            invalid("metadata.namespace", namespace, m) for m in is_dns1123_label(namespace)
        )
    errs.extend(validate_labels(meta.get("labels"), "metadata.labels"))
    errs.extend(validate_annotations(meta.get("annotations"), "metadata.annotations"))
    errs.extend(validate_owner_references(meta.get("ownerReferences")))
    return errs


def validate_owner_references(refs: Any) -> list[FieldError]:
    """ValidateOwnerReferences (apimachinery objectmeta.go): each reference names a
    version, kind, name and uid; an Event cannot own; one controller at most. Paths carry
    no index, as upstream's do."""
    path = "metadata.ownerReferences"
    errs: list[FieldError] = []
    first_controller = ""
    for ref in refs if isinstance(refs, list) else []:
        ref = ref if isinstance(ref, dict) else {}
        api_version = str(ref.get("apiVersion") or "")
        kind = str(ref.get("kind") or "")
        version = api_version.rpartition("/")[2]
        if not version:
            errs.append(invalid(f"{path}.apiVersion", api_version, "version must not be empty"))
        if not kind:
            errs.append(invalid(f"{path}.kind", kind, "kind must not be empty"))
        if not ref.get("name"):
            errs.append(invalid(f"{path}.name", ref.get("name") or "", "name must not be empty"))
        if not ref.get("uid"):
            errs.append(invalid(f"{path}.uid", ref.get("uid") or "", "uid must not be empty"))
        if api_version == "v1" and kind == "Event":
            errs.append(invalid(path, ref, "/v1, Kind=Event is disallowed from being an owner"))
        if ref.get("controller") is True:
            current = f"{kind}/{ref.get('name') or ''}"
            if first_controller:
                errs.append(
                    invalid(
                        path,
                        refs,
                        "Only one reference can have Controller set to true. Found "
                        f'"true" in references for {first_controller} and {current}',
                    )
                )
            else:
                first_controller = current
    return errs
