"""Errors a learner can meet, each one paragraph saying what is wrong and what to do.

KubelabError
  + ForeignContextError   refuses any cluster but the lab's
  + BackendMissing        docker/kind not found, or the daemon is down; says what to install
  + ClusterError          the lab's cluster is absent, unreachable, or in the way
  + UsageError            a bad argument: unknown backend, lab or exercise id
  + LabDataError          bad lab.yaml; carries file and key path (raised by checker, re-exported)

The CLI catches KubelabError at its edge and prints `str(error)` as a paragraph,
exiting with `error.exit_code`; nothing under it prints tracebacks at the learner.
"""

from __future__ import annotations


class KubelabError(Exception):
    """Root of every error kubelab reports to a person."""

    exit_code: int = 1


class ForeignContextError(KubelabError):
    exit_code = 3


class BackendMissing(KubelabError):
    exit_code = 4


class ClusterError(KubelabError):
    exit_code = 5


class UsageError(KubelabError):
    exit_code = 2


class LabDataError(KubelabError):
    """A lab.yaml that does not load; the message names the file, the line and the field."""

    exit_code = 2
