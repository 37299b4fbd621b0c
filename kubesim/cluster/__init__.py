"""The composition root: one kubesim process is one kind cluster.

Owns what a kind cluster is made of and nothing else: the process lifecycle (`serve`:
state folder, TLS, store, HTTP server, kubeconfig, stop), the nodes (`nodes`, `live`:
their kubelets, heartbeats and the "node down" fault), kube-system's objects (`system`),
the logs and metrics that cross nodes (`logs`, `metrics`), the control plane that the
control-plane-down fault stops while the nodes run on (`controlplane`), and `components.install`,
which plugs the controller manager, the scheduler, the kubelets and the network into the
API server. May import every other layer; nothing imports it.
"""

from kubesim.cluster.live import Cluster
from kubesim.cluster.serve import serve, stop_server, write_kubeconfig

__all__ = ["Cluster", "serve", "stop_server", "write_kubeconfig"]
