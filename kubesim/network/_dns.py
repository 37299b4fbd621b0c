"""Cluster DNS records (what CoreDNS answers on kind), as a hosts file for pod processes.

The loopback shim's resolver (process mode); in the fabric `dnsserver` answers instead."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CLUSTER_DOMAIN = "cluster.local"


def dns_records(
    services: list[dict[str, Any]],
    endpoints: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> list[tuple[str, list[str]]]:
    """(IP, names) as CoreDNS answers them: a Service with a cluster IP is
    `svc.ns.svc.cluster.local`; a headless one resolves to its ready pods, and a pod it
    publishes with a hostname (a StatefulSet's) is also `host.svc.ns.svc.cluster.local`.

    Short names (`svc`, `svc.ns`) resolve through the pod's search path, as with a real
    resolv.conf (`search <ns>.svc.cluster.local svc.cluster.local cluster.local`).
    """
    records = []
    for svc in services:
        ip = (svc.get("spec") or {}).get("clusterIP")
        meta = svc["metadata"]
        fqdn = f"{meta['name']}.{meta['namespace']}.svc.{CLUSTER_DOMAIN}"
        if ip == "None":  # headless: its ready pods, each also under its hostname
            ep = (endpoints or {}).get((meta["namespace"], meta["name"])) or {}
            for subset in ep.get("subsets") or []:
                for address in subset.get("addresses") or []:
                    host = address.get("hostname")
                    names = [f"{host}.{fqdn}", fqdn] if host else [fqdn]
                    records.append((address["ip"], names))
        elif ip:
            records.append((ip, [fqdn]))
    return sorted(records)


def search_path(namespace: str) -> tuple[str, ...]:
    return (f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN)


def write_hosts_file(path: Path, records: list[tuple[str, list[str]]]) -> None:
    """Replace the file atomically so a reading process never sees half of it."""
    text = "".join(f"{ip} {' '.join(names)}\n" for ip, names in records)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
