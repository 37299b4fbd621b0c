"""The proxy table is built from whatever the store holds, including objects older validation let in."""

from __future__ import annotations

from kubesim.network import Endpoint
from kubesim.network.services import proxy_table


def _svc(name: str, ports: list[dict]) -> dict:
    return {
        "metadata": {"namespace": "default", "name": name},
        "spec": {"clusterIP": "10.96.0.20", "ports": ports},
    }


def _endpoints(port: int) -> dict:
    return {"subsets": [{"addresses": [{"ip": "10.244.1.5"}], "ports": [{"port": port}]}]}


def test_ready_addresses_are_listed_under_the_service_port() -> None:
    table = proxy_table(
        [_svc("web", [{"port": 80, "targetPort": 8080}])],
        {("default", "web"): _endpoints(8080)},
    )
    assert table == {("10.96.0.20", 80): [Endpoint("10.244.1.5", 8080)]}


def test_a_port_without_a_number_is_skipped_not_a_crash() -> None:
    table = proxy_table(
        [_svc("web", [{"name": "bad"}, {"name": "zero", "port": 0}, {"name": "ok", "port": 80}])],
        {
            ("default", "web"): {
                "subsets": [
                    {"addresses": [{"ip": "10.244.1.5"}], "ports": [{"name": "ok", "port": 8080}]}
                ]
            }
        },
    )
    assert table == {("10.96.0.20", 80): [Endpoint("10.244.1.5", 8080)]}
