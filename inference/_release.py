"""Release facts: which server version can serve which model format.

Release 2.5.0 is the course's broken release. It was built to read model *format 2*
(a format that was planned but never shipped), while the model in the repo and in every
image is format 1. So 2.5.0 starts, answers /health, loads the file, and then refuses to
serve it: /ready and /predict stay 503 forever and the log says exactly why. Liveness
passes and only readiness fails, which is what a rolling update to 2.5.0 must reveal.
Every other version reads format 1.
"""

from __future__ import annotations

from ._model import Model

# Versions whose model reader demands a format other than 1, and that format.
_REQUIRED_FORMAT = {"2.5.0": 2}


def required_model_format(version: str) -> int:
    """The model file format this server version can read."""
    return _REQUIRED_FORMAT.get(version, 1)


def readiness_defect(version: str, model: Model, *, shown_as: str) -> str | None:
    """Why this version can never become ready with this model, or None if it can."""
    need = required_model_format(version)
    if model.format == need:
        return None
    return (
        f"inference {version} requires model format {need}, but {shown_as} is format "
        f"{model.format}; readiness will stay false (this release cannot serve the shipped "
        f"model: roll back to 2.4.0)"
    )
