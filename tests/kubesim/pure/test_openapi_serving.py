"""kube-openapi's v3 handlers over HTTP: ETags, 304s, immutable hashed documents, redirects
for a stale hash (kubesim/apiserver/openapiserve.py)."""

from __future__ import annotations

import hashlib
import json
from email.utils import parsedate_to_datetime

from kubesim.apiserver import openapi as _openapi
from kubesim.apiserver import openapiserve as serve
from kubesim.apiserver.crdopenapi import Published

NOW = 1_800_000_000.0


def test_a_document_asked_for_by_its_hash_is_immutable_for_a_year() -> None:
    answer = serve.document(
        "apis/apps/v1", b"{}", "ABC", modified=NOW - 60, now=NOW, hash_query="ABC"
    )
    assert (answer.status, answer.body) == (200, b"{}")
    assert answer.headers["Cache-Control"] == "public, immutable"
    assert answer.headers["Etag"] == '"ABC"'
    assert answer.headers["Vary"] == "Accept"
    expires = parsedate_to_datetime(answer.headers["Expires"].replace("UTC", "GMT"))
    assert expires.timestamp() == NOW + 365 * 24 * 3600
    assert answer.headers["Expires"].endswith(" UTC")  # Go's time.RFC1123, in UTC
    assert parsedate_to_datetime(answer.headers["Last-Modified"]).timestamp() == NOW - 60


def test_without_a_hash_a_document_may_not_be_kept_as_fresh() -> None:
    answer = serve.document("apis/apps/v1", b"{}", "ABC", modified=NOW, now=NOW)
    assert answer.status == 200
    assert "Cache-Control" not in answer.headers and "Expires" not in answer.headers


def test_a_stale_hash_is_redirected_to_the_current_document() -> None:
    answer = serve.document("apis/apps/v1", b"{}", "NEW", modified=NOW, now=NOW, hash_query="OLD")
    assert answer.status == 301
    assert answer.headers["Location"] == "/openapi/v3/apis/apps/v1?hash=NEW"
    assert answer.body == b""  # http.Redirect after a Content-Type was set writes none


def test_a_current_etag_gets_304_without_the_body() -> None:
    for sent in ('"ABC"', 'W/"ABC"', '"XYZ", "ABC"', "*"):
        answer = serve.document("api/v1", b"{}", "ABC", modified=NOW, now=NOW, if_none_match=sent)
        assert (answer.status, answer.body) == (304, b""), sent
        assert answer.headers["Etag"] == '"ABC"' and "Content-Type" not in answer.headers
    stale = serve.index(b"{}", "ABC", now=NOW, if_none_match='"XYZ"')
    assert (stale.status, stale.body) == (200, b"{}")


def test_every_listed_hash_is_the_sha512_of_the_bytes_served() -> None:
    """Hashed and served from one serialization: the document with non-ASCII text in its
    descriptions (api/v1) once hashed one JSON and served another."""
    published = Published([])
    index = json.loads(published.index_body())["paths"]
    assert list(index) == sorted(index)  # Go's json.Marshal sorts a map's keys
    for gv_path, entry in index.items():
        served = published.served(gv_path)
        assert served is not None
        body, digest, _ = served
        assert hashlib.sha512(body).hexdigest().upper() == digest
        assert entry["serverRelativeURL"] == f"/openapi/v3/{gv_path}?hash={digest}"
    assert published.served("apis/example.com/v1") is None
    assert _openapi.served("api/v1") == published.served("/api/v1/")
