"""Cluster DNS records (what CoreDNS answers on kind), as a hosts file for pod processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CLUSTER_DOMAIN = "cluster.local"


def dns_records(services: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(cluster IP, names) for every Service with a cluster IP: `svc.ns.svc.cluster.local`.

    Short names (`svc`, `svc.ns`) resolve through the pod's search path, as with a real
    resolv.conf (`search <ns>.svc.cluster.local svc.cluster.local cluster.local`).
    """
    records = []
    for svc in services:
        ip = (svc.get("spec") or {}).get("clusterIP")
        if not ip or ip == "None":
            continue
        meta = svc["metadata"]
        records.append((ip, [f"{meta['name']}.{meta['namespace']}.svc.{CLUSTER_DOMAIN}"]))
    return sorted(records)


def search_path(namespace: str) -> tuple[str, ...]:
    return (f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN)


def write_hosts_file(path: Path, records: list[tuple[str, list[str]]]) -> None:
    """Replace the file atomically so a reading process never sees half of it."""
    text = "".join(f"{ip} {' '.join(names)}\n" for ip, names in records)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
