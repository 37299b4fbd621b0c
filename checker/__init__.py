"""checker: grades live cluster state against a lab's declarative checks, read-only.

It knows nothing of notebooks, of kubelab's CLI or of which backend serves the cluster:
it reads through one kubeconfig with GET and LIST only (DESIGN.md). Public names are
re-exported here; the modules behind them are private.
"""

import importlib
from typing import TYPE_CHECKING, Any

from checker._errors import (
    ApiError,
    CheckerError,
    ClusterAuthError,
    ClusterError,
    ClusterUnreachable,
    LabDataError,
    ReadOnlyViolation,
    UnknownIdError,
)
from checker._labfile import (
    LAB_API_VERSION,
    Check,
    Exercise,
    Fault,
    HttpCheck,
    Lab,
    discover_labs,
    lab_json_schema,
    load_lab,
    parse_duration,
)
from checker._match import FieldError
from checker._match import parse as parse_expectation
from checker._quantity import parse_quantity
from checker._report import SCHEMA_VERSION, TextReport, plain_text, render_text, to_json, to_junit
from checker._results import CheckResult, Evidence, ExerciseResult, GradeReport, LabResult

if TYPE_CHECKING:
    from checker._client import ReadOnlyClient, Resource
    from checker._run import Clock, RealClock, grade, run_exercise, run_lab

# Loaded on first use (PEP 562): the official client's import costs 0.3 s of CPU
# (`kubernetes` imports its config, dynamic and watch modules, and jsonschema through
# kubernetes_validate), which a `kubelab` command that only reads labs (reset, solve, break,
# lint, status) need not pay; a check pays it when it first reads the cluster.
_ON_FIRST_USE = {
    "ReadOnlyClient": "checker._client",
    "Resource": "checker._client",
    "Clock": "checker._run",
    "RealClock": "checker._run",
    "grade": "checker._run",
    "run_exercise": "checker._run",
    "run_lab": "checker._run",
}


def __getattr__(name: str) -> Any:
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module 'checker' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "LAB_API_VERSION",
    "SCHEMA_VERSION",
    "ApiError",
    "Check",
    "CheckResult",
    "CheckerError",
    "Clock",
    "ClusterAuthError",
    "ClusterError",
    "ClusterUnreachable",
    "Evidence",
    "Exercise",
    "ExerciseResult",
    "Fault",
    "FieldError",
    "GradeReport",
    "HttpCheck",
    "Lab",
    "LabDataError",
    "LabResult",
    "ReadOnlyClient",
    "ReadOnlyViolation",
    "RealClock",
    "Resource",
    "TextReport",
    "UnknownIdError",
    "discover_labs",
    "lab_json_schema",
    "grade",
    "load_lab",
    "parse_duration",
    "parse_expectation",
    "parse_quantity",
    "plain_text",
    "render_text",
    "run_exercise",
    "run_lab",
    "to_json",
    "to_junit",
]
