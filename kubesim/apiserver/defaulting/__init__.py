"""Defaulting as the API server applies it on decode: pkg/apis/*/v1/defaults.go.

`pod` (pod specs and containers), `kinds` (everything else the course writes), `hpa`
(autoscaling v1 <-> v2 and their defaults), `service` (cluster IP and node port allocation).
"""
