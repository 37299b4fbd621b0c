"""Errors of the inference service, one tree under one root.

InferenceError
  + ConfigError    an environment variable is missing or malformed; the process exits 1
  + ModelError     the model file cannot be read or does not hold a model; exits 1
  + BadRequest     a /predict body the model cannot answer; the client gets a 4xx (400)

Every message is one paragraph for a person reading ``kubectl logs``: what is wrong and
what to change. The 2.5.0 readiness defect is deliberately *not* an error here: the
process keeps running and reports it (see ``_release``), which is the point of the lesson.
"""

from __future__ import annotations


class InferenceError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(InferenceError):
    """An environment variable is missing or cannot be used as given."""


class ModelError(InferenceError):
    """The model file is missing, unreadable, or not a model this server understands."""


class BadRequest(InferenceError):
    """The request body cannot be turned into feature vectors; answered with ``status``."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
