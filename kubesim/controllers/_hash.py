"""The ``pod-template-hash`` label value: a stable hash of a pod template.

Like controller.ComputeHash in Kubernetes: FNV-32a over the template, then (when the
Deployment has a collisionCount) over that count as 4 little-endian bytes; the decimal
of the 32-bit sum is encoded with rand.SafeEncodeString's alphabet, which has no vowels
so no words appear in names.  Difference, on purpose: Go hashes a spew dump of the Go
struct; we hash canonical JSON (sorted keys, no spaces) of the stored dict, so the value
is stable and has the same shape (up to 10 of ``bcdfghjklmnpqrstvwxz2456789``) but is not
byte-identical to what a real cluster would compute for the same template.
"""

from __future__ import annotations

import json
from typing import Any

SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv32a(data: bytes, h: int = _FNV_OFFSET) -> int:
    for byte in data:
        h ^= byte
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


def safe_encode(s: str) -> str:
    """rand.SafeEncodeString: map each character to the vowel-free alphabet."""
    return "".join(SAFE_ALPHABET[ord(ch) % len(SAFE_ALPHABET)] for ch in s)


def template_hash(template: dict[str, Any], collision_count: int | None = None) -> str:
    """The pod-template-hash for ``template`` (with any existing hash label ignored)."""
    tpl = json.loads(json.dumps(template))
    lbls = (tpl.get("metadata") or {}).get("labels")
    if lbls:
        lbls.pop("pod-template-hash", None)
    canonical = json.dumps(tpl, sort_keys=True, separators=(",", ":")).encode()
    h = fnv32a(canonical)
    if collision_count is not None:
        h = fnv32a(int(collision_count).to_bytes(4, "little"), h)
    return safe_encode(str(h))
