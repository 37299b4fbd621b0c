"""kubelab: the runtime of the course — CLI, cluster lifecycle (kind | sim), faults, widgets."""

__version__ = "0.1.0"
