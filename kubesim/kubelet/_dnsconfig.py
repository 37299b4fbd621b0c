"""A pod's DNS settings as the kubelet decides them (pkg/kubelet/network/dns/dns.go):
dnsPolicy and dnsConfig become the nameservers, search path and options of its
/etc/resolv.conf, and hostAliases the extra lines of its /etc/hosts.

ClusterFirst (the default) is the cluster DNS Service, the pod's namespace's search path and
`ndots:5`, with dnsConfig appended (nameservers and searches added without duplicates, options
merged by name, a later value winning); `None` is dnsConfig alone. A hostNetwork pod under
ClusterFirst, and `Default`, would read the node's own resolv.conf; kubesim's nodes have none
of their own, so those keep the cluster's (said in docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_NAMESERVERS = 3  # validation.MaxDNSNameservers
MAX_SEARCH_PATHS = 32  # validation.MaxDNSSearchPaths
MAX_SEARCH_CHARS = 2048  # validation.MaxDNSSearchListChars
MAX_SEARCH_PATH_CHARS = 253  # DNS1123SubdomainMaxLength


@dataclass(frozen=True)
class PodDns:
    nameservers: tuple[str, ...]
    searches: tuple[str, ...]
    options: tuple[str, ...]
    # the DNSConfigForming warnings the kubelet records when it had to cut a line
    warnings: tuple[str, ...] = ()


def pod_dns(spec: dict[str, Any], cluster_dns: str, cluster_search: tuple[str, ...]) -> PodDns:
    """GetPodDNS: what the pod's resolv.conf says, cut to the resolver's limits."""
    config = spec.get("dnsConfig") or {}
    if spec.get("dnsPolicy") == "None":
        base = PodDns((), (), ())
    else:
        base = PodDns((cluster_dns,), cluster_search, ("ndots:5",))
    # omitDuplicates: the first of each, in order
    servers = list(dict.fromkeys([*base.nameservers, *(config.get("nameservers") or [])]))
    searches = list(dict.fromkeys([*base.searches, *(config.get("searches") or [])]))
    options = _merge_options(base.options, config.get("options") or [])
    warnings = []
    if len(servers) > MAX_NAMESERVERS:  # formDNSNameserversFitsLimits
        servers = servers[:MAX_NAMESERVERS]
        warnings.append(
            "Nameserver limits were exceeded, some nameservers have been omitted, the applied "
            f"nameserver line is: {' '.join(servers)}"
        )
    fitted = _fit_search(searches)
    if fitted != searches:
        warnings.append(
            "Search Line limits were exceeded, some search paths have been omitted, the "
            f"applied search line is: {' '.join(fitted)}"
        )
    return PodDns(tuple(servers), tuple(fitted), tuple(options), tuple(warnings))


def _fit_search(searches: list[str]) -> list[str]:
    """formDNSSearchFitsLimits: at most 32 paths, none over 253 characters, the line at most
    2048 characters (the last paths dropped first)."""
    fitted = [s for s in searches[:MAX_SEARCH_PATHS] if len(s) <= MAX_SEARCH_PATH_CHARS]
    while fitted and len(" ".join(fitted)) > MAX_SEARCH_CHARS:
        fitted.pop()
    return fitted


def _merge_options(existing: tuple[str, ...], extra: list[dict[str, Any]]) -> list[str]:
    """mergeDNSOptions: by name, dnsConfig's value replacing the default's (upstream's order is
    a Go map's; here the order they first appear)."""
    merged: dict[str, str] = {}
    for text in existing:
        name, _, value = text.partition(":")
        merged[name] = value
    for option in extra:
        merged[str(option.get("name", ""))] = str(option.get("value") or "")
    return [f"{name}:{value}" if value else name for name, value in merged.items()]


def host_alias_lines(spec: dict[str, Any]) -> str:
    """hostsEntriesFromHostAliases: a blank line, the header, one line per IP."""
    aliases = spec.get("hostAliases") or []
    if not aliases:
        return ""
    lines = ["", "# Entries added by HostAliases."]
    lines += [f"{a.get('ip', '')}\t" + "\t".join(a.get("hostnames") or []) for a in aliases]
    return "\n".join(lines) + "\n"
