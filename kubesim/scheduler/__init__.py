"""kube-scheduler: a queue of pending pods, one binding decision at a time.

The decision itself (filters and scores) is pure, in `kubesim.controllers`; this layer
queues, retries with back-off, binds, and keeps the pods per node the decision reads
(`cache`). May import: `kubesim.client`,
`kubesim.controllers`, `kubesim.apiserver`, `kubesim.core`.
"""

from kubesim.scheduler.loop import run_scheduler

__all__ = ["run_scheduler"]
