"""How kube-openapi's v3 handlers answer over HTTP, so that clients may cache the documents.

The index (`/openapi/v3`) lists each group-version's document at a URL carrying its hash.
A document asked for with the hash it has now is immutable: `Cache-Control: public,
immutable` and an `Expires` a year ahead, so kubectl's HTTP cache (`--cache-dir`) keeps it
and the next `kubectl apply` reads it from disk instead of downloading half a megabyte again.
A stale hash is redirected (301) to the current one; both handlers send an ETag, the SHA-512
of the exact bytes served, and answer a matching `If-None-Match` with 304, as Go's
`http.ServeContent` does. The bytes are served as built: no trailing newline, never indented.

Pure: the server turns an `Answer` into its response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formatdate

JSON = "application/json"
YEAR_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def etag_matches(if_none_match: str, etag: str) -> bool:
    """net/http's checkIfNoneMatch: `*`, or any listed tag equal by weak comparison."""
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == f'"{etag}"':
            return True
    return False


def _content(
    body: bytes, headers: dict[str, str], etag: str, *, modified: float, if_none_match: str
) -> Answer:
    """http.ServeContent: a 304 keeps the validators and drops the entity headers (and
    Last-Modified, since an ETag is set)."""
    if if_none_match and etag_matches(if_none_match, etag):
        return Answer(304, {k: v for k, v in headers.items() if k != "Content-Type"})
    return Answer(200, {**headers, "Last-Modified": formatdate(modified, usegmt=True)}, body)


def index(body: bytes, etag: str, *, now: float, if_none_match: str = "") -> Answer:
    """HandleDiscovery: `/openapi/v3`, its Last-Modified the time of the request."""
    headers = {"Etag": f'"{etag}"', "Content-Type": JSON}
    return _content(body, headers, etag, modified=now, if_none_match=if_none_match)


def document(
    gv_path: str,
    body: bytes,
    etag: str,
    *,
    modified: float,
    now: float,
    hash_query: str | None = None,
    if_none_match: str = "",
) -> Answer:
    """HandleGroupVersion for a JSON client: `/openapi/v3/<gv_path>[?hash=...]`."""
    headers = {"Vary": "Accept", "Content-Type": JSON, "Etag": f'"{etag}"'}
    if hash_query:
        if hash_query != etag:
            # http.Redirect with a Content-Type already set writes no body
            return Answer(301, {**headers, "Location": f"/openapi/v3/{gv_path}?hash={etag}"})
        headers["Cache-Control"] = "public, immutable"
        # Go's time.RFC1123 in UTC ("... UTC", not the "GMT" of Last-Modified)
        headers["Expires"] = formatdate(now + YEAR_SECONDS, usegmt=True).replace("GMT", "UTC")
    return _content(body, headers, etag, modified=modified, if_none_match=if_none_match)
