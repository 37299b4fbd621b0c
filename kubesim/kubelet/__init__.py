"""kubesim's process-based kubelet: pods whose images are in the catalog run as real processes.

The pieces, each with one job:
  _images     the image catalog (data in kubesim/images.yaml): image -> how to run it
  _cgroups    memory and CPU limits as real cgroup v1 limits, or measured fallbacks
  _process    one container = one process group: start, logs (CRI format), wait, stop
  _netshim    a sitecustomize that gives each pod its own loopback IP and cluster DNS
  _probes     httpGet / tcpSocket / exec probes with the kubelet's messages
"""

from kubesim.kubelet._images import PullError, catalog, pull

__all__ = ["PullError", "catalog", "pull"]
