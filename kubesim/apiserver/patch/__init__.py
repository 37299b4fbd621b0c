"""Patches and server-side apply: JSON, merge, strategic merge, apply configurations.

`dispatch` picks the engine by Content-Type; `jsonpatch` (RFC 6902/7386), `strategic`
(apimachinery's strategicpatch), `schema` (merge keys and list types from the 1.37 schema),
`fieldpath` and `apply` (structured-merge-diff's field sets and managedFields).
"""
