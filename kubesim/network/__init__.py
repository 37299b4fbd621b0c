"""The pod network on one host: kube-proxy's job and cluster DNS, for processes.

See kubesim/kubelet/_netshim: pod IP 10.244.X.Y lives at 127.244.X.Y and a Service's
cluster IP 10.96.X.Y at 127.96.X.Y. `ServiceProxy` listens on the cluster-IP twins and
forwards each connection to a ready endpoint (kube-proxy's userspace mode, which is what a
single host without iptables rights can honestly do); `dns_records` is the cluster DNS that
CoreDNS would serve, written to a hosts file the shim reads.
"""

from kubesim.network._dns import dns_records, write_hosts_file
from kubesim.network._proxy import Endpoint, ServiceProxy, loopback_twin

__all__ = ["Endpoint", "ServiceProxy", "dns_records", "loopback_twin", "write_hosts_file"]
