"""Lab 10 (networking), statically: its spec checks take the team's Service and policies and
refuse the faults and the near misses a learner writes, and its log checks read the load
generator's real summary line (no cluster; tests/course_e2e walk the lab on a live one)."""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import checker  # noqa: E402
from inference._loadgen import Result, parse_target, summarize  # noqa: E402

LAB = ROOT / "labs" / "10-networking"


def _exercise(exercise_id: str) -> dict[str, Any]:
    lab = yaml.safe_load((LAB / "lab.yaml").read_text(encoding="utf-8"))
    return next(e for e in lab["exercises"] if e["id"] == exercise_id)


def _check(exercise_id: str, name: str) -> dict[str, Any]:
    return next(c for c in _exercise(exercise_id)["checks"] if c["name"] == name)


def _file(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _matches(check: dict[str, Any], obj: dict[str, Any]) -> bool:
    return not checker.parse_expectation(check["expect"]).match(obj, "")


SERVICE = _file(ROOT / "labs" / "02-expose" / "solution" / "service.yaml")


def _service(**port: Any) -> dict[str, Any]:
    service = copy.deepcopy(SERVICE)
    service["spec"]["ports"][0].update(port)
    return service


@pytest.mark.parametrize(
    "service, passes",
    [
        pytest.param(SERVICE, True, id="lab-02s-service"),
        pytest.param(_service(targetPort=8080), True, id="target-port-number"),
        pytest.param(_file(LAB / "faults" / "wrong-target-port.yaml"), False, id="the-fault"),
        pytest.param(_service(targetPort=8081), False, id="another-wrong-port"),
    ],
)
def test_target_port_check_takes_the_containers_port_by_number_or_name(service, passes):
    assert _matches(_check("wrong-target-port", "target-port-is-the-containers"), service) is passes


def test_selector_check_refuses_the_typo():
    check = _check("selector-typo", "selector-matches-the-pods")
    assert _matches(check, SERVICE)
    assert not _matches(check, _file(LAB / "faults" / "selector-typo.yaml"))


def test_the_service_faults_differ_from_lab_02s_service_in_one_field_each():
    typo = _file(LAB / "faults" / "selector-typo.yaml")
    port = _file(LAB / "faults" / "wrong-target-port.yaml")
    assert {**typo["spec"], "selector": SERVICE["spec"]["selector"]} == SERVICE["spec"]
    assert typo["spec"]["selector"] != SERVICE["spec"]["selector"]
    assert _service(targetPort=80) == port


ALLOW = _file(LAB / "solution" / "allow-loadgen.yaml")


def _allow(peer: dict[str, Any]) -> dict[str, Any]:
    policy = copy.deepcopy(ALLOW)
    policy["spec"]["ingress"][0]["from"] = [peer]
    return policy


@pytest.mark.parametrize(
    "policy, passes",
    [
        pytest.param(ALLOW, True, id="the-task"),
        pytest.param(
            _allow({"podSelector": {"matchLabels": {"role": "loadgen"}}, "namespaceSelector": {}}),
            False,
            id="loadgen-pods-of-every-namespace",
        ),
        pytest.param(_allow({"podSelector": {}}), False, id="every-pod"),
        pytest.param(_allow({"ipBlock": {"cidr": "0.0.0.0/0"}}), False, id="everything"),
    ],
)
def test_allow_check_takes_the_loadgen_label_only(policy, passes):
    assert _matches(_check("network-policy", "allow-loadgen"), policy) is passes


def test_default_deny_check_refuses_a_policy_with_an_allow_rule():
    check = _check("network-policy", "default-deny-ingress")
    deny = _file(LAB / "solution" / "default-deny-ingress.yaml")
    assert _matches(check, deny)
    allows_all = copy.deepcopy(deny)
    allows_all["spec"]["ingress"] = [{}]  # one empty rule: allow everything
    assert not _matches(check, allows_all)


FIXED = _file(LAB / "solution" / "loadgen-egress.yaml")


def _dns_rule(**rule: Any) -> dict[str, Any]:
    policy = copy.deepcopy(FIXED)
    policy["spec"]["egress"][1].update(rule)
    return policy


@pytest.mark.parametrize(
    "policy, passes",
    [
        pytest.param(FIXED, True, id="the-fix"),
        pytest.param(_file(LAB / "faults" / "egress-breaks-dns.yaml"), False, id="the-fault"),
        pytest.param(_dns_rule(ports=[{"protocol": "UDP", "port": 53}]), False, id="udp-only"),
        pytest.param(
            _dns_rule(
                to=[
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                        }
                    },
                    {"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}},
                ]
            ),
            False,
            id="namespace-or-pod-as-two-peers",
        ),
    ],
)
def test_egress_check_takes_dns_to_kube_dns_over_udp_and_tcp(policy, passes):
    assert _matches(_check("egress-dns", "egress-allows-dns"), policy) is passes


def _summary_line(results: list[Result]) -> str:
    summary = summarize(
        parse_target("http://inference-service:8080"),
        results,
        rps=4,
        seconds=5,
        concurrency=2,
        planned=len(results),
        elapsed=5.0,
    )
    return summary.render().splitlines()[1]  # "sent N of M planned, ok K, errors E"


@pytest.mark.parametrize(
    "exercise_id, name",
    [("network-policy", "loadgen-answered"), ("egress-dns", "loadgen-dns-answered")],
)
@pytest.mark.parametrize(
    "results, passes",
    [
        pytest.param([Result(0.01, 200)] * 20, True, id="all-answered"),
        pytest.param(
            [Result(0.01, 200)] * 19 + [Result(2.0, None, "TimeoutError")], False, id="one-timeout"
        ),
        pytest.param([Result(0.01, None, "gaierror")] * 20, False, id="dns-failed"),
        pytest.param([], False, id="nothing-sent"),
    ],
)
def test_loadgen_checks_read_the_load_generators_own_summary(exercise_id, name, results, passes):
    pattern = _check(exercise_id, name)["log"]["pattern"]
    assert bool(re.search(pattern, _summary_line(results))) is passes
