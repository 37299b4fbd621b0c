"""Validation as kube-apiserver runs it: decoding checks, then per-kind value validation.

`decode` (unknown and duplicate fields, types), `names` (apimachinery's syntax rules),
`pod`, `containerfields`, `workloads` and `kinds` (pkg/apis/*/validation), `errors` (field errors worded
as upstream words them, and the 422 they become).
"""
