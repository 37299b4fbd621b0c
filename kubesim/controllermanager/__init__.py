"""kube-controller-manager: the control loops, wired to informers and work queues.

Owns the wiring and the acting only: each loop reads its informers, asks the pure
decision in `kubesim.controllers` what to do, and applies the answer through
`kubesim.client`. Also the eviction subresource's PodDisruptionBudget check, plugged into
the API's hooks. May import: `kubesim.client`, `kubesim.controllers`, `kubesim.apiserver`
(its `Api` and hooks), `kubesim.core`.
"""

from kubesim.controllermanager.manager import install

__all__ = ["install"]
