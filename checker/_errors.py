"""Errors that mean a check could not be run, each one paragraph for a person.

A mismatch between the cluster and a check is a *result*, never an exception; an exception
means the lab data is broken or the cluster cannot be asked (STYLE.md, "Errors").

CheckerError
  + LabDataError          bad lab.yaml; carries the file, the line and the field path
  + ClusterError          the lab cluster cannot be asked
  |   + ClusterUnreachable    nothing answers at the kubeconfig's server
  |   + ClusterAuthError      the server refused our credentials (401/403)
  |   + ApiError              any other unexpected answer (carries status and body)
  + ReadOnlyViolation     a programming error: something asked the checker to write
  + UnknownIdError        a lab or exercise id that does not exist; lists the valid ones
"""

from __future__ import annotations

from pathlib import Path


class CheckerError(Exception):
    """Root of every error the checker raises."""


class LabDataError(CheckerError):
    """A lab.yaml that cannot be used; says where (file:line) and which field."""

    def __init__(self, message: str, *, file: Path | str, line: int | None, field: str) -> None:
        where = f"{file}:{line}" if line else str(file)
        super().__init__(f"{where}: {field or '(top level)'}: {message}")
        self.file = Path(file)
        self.line = line
        self.field = field
        self.detail = message


class ClusterError(CheckerError):
    """The lab cluster could not be asked for its state."""


class ClusterUnreachable(ClusterError):
    pass


class ClusterAuthError(ClusterError):
    pass


class ApiError(ClusterError):
    def __init__(self, message: str, *, status: int, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ReadOnlyViolation(CheckerError):
    pass


class UnknownIdError(CheckerError, LookupError):
    """A lab or exercise id that does not exist; the message lists the valid ones."""
