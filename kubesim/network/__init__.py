"""The cluster network on one host: what kind's pod network, kube-proxy, kindnet and CoreDNS do.

Where the container world runs, the cluster network is the fabric (`fabric`): one network
namespace of kubesim's own with no uplink, held by an agent process (`_fabricagent`), every
pod's sandbox behind a routed veth, and kubesim's own sockets (probes, port-forward, the API
server's proxy) made inside it. Its data plane lives in the kernel, kept by `dataplane`:

* kube-proxy's nftables table: `serviceports` decides which endpoints each Service port
  reaches, `nftproxy` writes the rules;
* kindnet's NetworkPolicy table: `policies` decides which connections are allowed, `netpol`
  writes the rules;
* the cluster DNS on 10.96.0.10: `dnsserver` on fabric sockets, answering from
  `dnsrecords` (CoreDNS's `kubernetes` plugin backend) through `dnsanswer`.

`services` wires this to the API server's objects. The names exported here are the
fallback's, used where the fabric cannot run (no namespaces, no `ip` or `nft`): the loopback
shim (kubesim/kubelet/_netshim), where pod and cluster IPs have loopback twins (`_netid`),
`ServiceProxy` (kube-proxy's userspace mode, `_proxy`) listens on the cluster-IP twins and
forwards each connection to a ready endpoint, and `dns_records` (`_dns`) is written to a
hosts file the shim reads. In the fabric the userspace proxy only stands in while
kube-proxy's table is not in force.
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
