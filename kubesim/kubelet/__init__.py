"""kubesim's kubelet: pods whose images are in the catalog run as real processes, each
container in a world of its own (namespaces and a root filesystem) where Linux allows it.

The pieces, each with one job:
  _images     the image catalog (data in kubesim/images.yaml): image -> how to run it
  _cgroups    memory and CPU limits as real cgroup v1 limits, or measured fallbacks
  _process    one container: start, logs (CRI format), wait, stop, exec_spec
  _world      which isolation this machine allows (namespaces, or named process mode)
  _rootfs     a container's root filesystem, planned per image and written under its sandbox
  _ctrinit    the init step inside the namespaces: mounts, hostname, pivot_root, execve
  _netshim    a sitecustomize that gives each pod its own loopback IP and cluster DNS
  _probes     httpGet / tcpSocket / exec probes with the kubelet's messages
"""

from kubesim.kubelet._images import PullError, catalog, pull

__all__ = ["PullError", "catalog", "pull"]
