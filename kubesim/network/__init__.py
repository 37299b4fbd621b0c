"""The pod network on one host: kube-proxy's job and cluster DNS.

Where the container world runs, the cluster network is a network namespace of its own
(`fabric`: a routed veth per pod, Services and NetworkPolicy as nftables rules kept by
`dataplane`, the cluster DNS on 10.96.0.10). Elsewhere, the loopback shim below.

See kubesim/kubelet/_netshim: pod and cluster IPs have loopback twins (see _netid). `ServiceProxy` listens on the cluster-IP twins and
forwards each connection to a ready endpoint (kube-proxy's userspace mode, which is what a
single host without iptables rights can honestly do); `dns_records` is the cluster DNS that
CoreDNS would serve, written to a hosts file the shim reads.
"""

from kubesim.network._dns import dns_records, write_hosts_file
from kubesim.network._netid import NetId, claim, twin
from kubesim.network._proxy import Endpoint, ServiceProxy

__all__ = [
    "Endpoint",
    "NetId",
    "ServiceProxy",
    "claim",
    "dns_records",
    "twin",
    "write_hosts_file",
]
