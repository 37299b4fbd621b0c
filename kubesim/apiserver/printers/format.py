"""Small formatters the printers share, each a port of the Kubernetes helper it names.

Labels (`labels.FormatLabels`), label selectors (`metav1.FormatLabelSelector` and
`LabelSelectorAsSelector(...).String()`), int-or-string, access modes
(`helper.GetAccessModesAsString`), container lists (`layoutContainerCells`) and the
"a, b, c + 2 more..." lists. Inputs are plain dicts as stored; missing pieces never raise.
"""

from __future__ import annotations

from typing import Any

NONE = "<none>"
UNSET = "<unset>"


def dig(obj: Any, *path: str, default: Any = None) -> Any:
    """`obj[a][b]...`, or `default` when any step is missing, null or not a mapping."""
    here = obj
    for key in path:
        if not isinstance(here, dict):
            return default
        here = here.get(key)
        if here is None:
            return default
    return here


def items(obj: Any, *path: str) -> list[Any]:
    """A list field, `[]` when absent: stored objects may omit any list."""
    found = dig(obj, *path)
    return found if isinstance(found, list) else []


def mapping(obj: Any, *path: str) -> dict[str, Any]:
    """A map field, `{}` when absent."""
    found = dig(obj, *path)
    return found if isinstance(found, dict) else {}


def format_labels(labels: dict[str, Any] | None) -> str:
    """`labels.FormatLabels`: sorted `k=v` joined by commas, `<none>` when empty."""
    if not labels:
        return NONE
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def selector_string(selector: dict[str, Any] | None) -> str | None:
    """`LabelSelectorAsSelector(sel).String()`; None when the selector is invalid.

    A nil or empty selector prints as the empty string (Nothing / Everything). Each
    requirement is rendered as `labels` renders it and the whole is sorted by key.
    """
    if not selector:
        return ""
    requirements: list[tuple[str, str]] = []
    for key, value in mapping(selector, "matchLabels").items():
        requirements.append((key, f"{key}={value}"))
    for expr in items(selector, "matchExpressions"):
        if not isinstance(expr, dict):
            return None
        key = str(expr.get("key", ""))
        values = sorted(str(v) for v in (expr.get("values") or []))
        operator = expr.get("operator")
        if operator == "In":
            requirements.append((key, f"{key} in ({','.join(values)})"))
        elif operator == "NotIn":
            requirements.append((key, f"{key} notin ({','.join(values)})"))
        elif operator == "Exists":
            requirements.append((key, key))
        elif operator == "DoesNotExist":
            requirements.append((key, f"!{key}"))
        else:
            return None
    requirements.sort(key=lambda pair: pair[0])
    return ",".join(text for _, text in requirements)


def format_label_selector(selector: dict[str, Any] | None) -> str:
    """`metav1.FormatLabelSelector`: the selector string, `<none>` when it selects all/none."""
    text = selector_string(selector)
    if text is None:
        return "<error>"
    return text or NONE


def int_or_string(value: Any) -> str:
    """`intstr.IntOrString.String()`."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


_ACCESS_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def access_modes(modes: list[Any]) -> str:
    """`GetAccessModesAsString`: always in the order RWO,ROX,RWX,RWOP, no duplicates."""
    return ",".join(short for mode, short in _ACCESS_MODES if mode in modes)


def containers_cells(containers: list[Any]) -> tuple[str, str]:
    """`layoutContainerCells`: container names and images, each joined by commas."""
    named = [c for c in containers if isinstance(c, dict)]
    names = ",".join(str(c.get("name", "")) for c in named)
    images = ",".join(str(c.get("image", "")) for c in named)
    return names, images


def list_with_more(shown: list[str], count: int, limit: int = 3, *, empty: str = UNSET) -> str:
    """`listWithMoreString`: the first `limit` entries, then `+ N more...`."""
    text = ",".join(shown[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or empty


def bool_ptr(value: Any) -> str:
    """`printBoolPtr`: `True` / `False`, `<unset>` when absent."""
    if value is None:
        return UNSET
    return "True" if value else "False"
