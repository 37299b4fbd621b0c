"""HPA decisions: the documented formula, tolerance, unknown metrics, stabilization."""

from __future__ import annotations

from datetime import timedelta

import kubesim_builders as builders
import pytest
from kubesim_builders import container

from kubesim.controllers import Emit, HpaHistory, Scale, UpdateStatus, reconcile_hpa
from kubesim.core.objects import fmt_time

from .world import T0

START = T0 - timedelta(hours=1)


def hpa(min_r=1, max_r=10, target=50, behavior=None):
    h = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "inference", "namespace": "lab", "uid": "hpa-uid"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "inference"},
            "minReplicas": min_r,
            "maxReplicas": max_r,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": target},
                    },
                }
            ],
        },
    }
    if behavior is not None:
        h["spec"]["behavior"] = behavior
    return h


def target(replicas):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "inference", "namespace": "lab"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "inference"}}},
    }


def pod(i, request="200m"):
    return builders.pod(
        f"inference-{i}",
        phase="Running",
        ready=True,
        ready_at=START,
        containers=[container(requests={"cpu": request} if request else None)],
        status={"startTime": fmt_time(START)},
    )


def usage(cpu):
    return {
        "timestamp": fmt_time(T0),
        "window": "15s",
        "containers": [{"name": "model-server", "usage": {"cpu": cpu}}],
    }


def run(h, replicas, cpus, history=None, request="200m"):
    history = history or HpaHistory()
    pods = [pod(i, request) for i in range(replicas)]
    metrics = {f"inference-{i}": usage(c) for i, c in enumerate(cpus)}
    return reconcile_hpa(h, target(replicas), pods, metrics, history, now=T0)


def conditions(decision):
    st = next(a for a in decision.actions if isinstance(a, UpdateStatus)).obj["status"]
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in st["conditions"]}, st


@pytest.mark.parametrize(
    "replicas, cpus, want",
    [
        pytest.param(1, ["200m"], 2, id="docs-200m-vs-100m-doubles"),
        pytest.param(3, ["160m"] * 3, 5, id="ceil-of-ratio-times-ready"),
        pytest.param(2, ["105m", "105m"], 2, id="within-tolerance-no-change"),
        pytest.param(4, ["50m"] * 4, 2, id="half-the-target-halves-after-the-window"),
    ],
)
def test_desired_replicas_follow_the_documented_formula(replicas, cpus, want):
    old = HpaHistory(recommendations=((T0 - timedelta(seconds=301), replicas),))
    decision, _ = run(hpa(target=50), replicas, cpus, history=old)
    scales = [a for a in decision.actions if isinstance(a, Scale)]
    assert (scales[0].replicas if scales else replicas) == want
    assert bool(scales) == (want != replicas)


def test_a_new_hpa_counts_the_current_size_as_a_recommendation_and_holds_it():
    """recordInitialRecommendation: a fresh HPA over an idle Deployment of 4 keeps 4 for the
    300 s scale-down window instead of dropping to 2 on its first pass."""
    decision, history = run(hpa(target=50), 4, ["50m"] * 4)
    assert not [a for a in decision.actions if isinstance(a, Scale)]
    conds, st = conditions(decision)
    assert conds["AbleToScale"][1] == "ScaleDownStabilized"
    assert st["desiredReplicas"] == 4
    assert history.recommendations == ((T0, 4), (T0, 2))


def test_scale_up_reports_status_metrics_and_event():
    decision, history = run(hpa(target=50), 2, ["200m", "200m"])
    assert (
        Scale(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": "inference",
                "namespace": "lab",
            },
            4,
        )
        in decision.actions
    )
    conds, st = conditions(decision)
    assert st["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "current": {"averageUtilization": 100, "averageValue": "200m"},
            },
        }
    ]
    assert (st["currentReplicas"], st["desiredReplicas"], st["lastScaleTime"]) == (
        2,
        4,
        fmt_time(T0),
    )
    assert conds["AbleToScale"] == (
        "True",
        "SucceededRescale",
        "the HPA controller was able to update the target scale to 4",
    )
    assert conds["ScalingActive"][1] == "ValidMetricFound"
    events = [a.event.message for a in decision.actions if isinstance(a, Emit)]
    assert events == [
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"
    ]
    assert history.recommendations == ((T0, 2), (T0, 4))


def test_missing_cpu_request_makes_the_metric_unknown():
    decision, _ = run(hpa(), 1, ["100m"], request=None)
    conds, st = conditions(decision)
    assert conds["ScalingActive"] == (
        "False",
        "FailedGetResourceMetric",
        "the HPA was unable to compute the replica count: failed to get cpu utilization: "
        "missing request for cpu in container model-server of Pod inference-0",
    )
    assert st["currentMetrics"] == [{"type": ""}]  # kubectl prints <unknown>
    assert not any(isinstance(a, Scale) for a in decision.actions)
    reasons = [a.event.reason for a in decision.actions if isinstance(a, Emit)]
    assert reasons == ["FailedGetResourceMetric", "FailedComputeMetricsReplicas"]


def test_scale_down_is_stabilized_by_recent_higher_recommendations():
    history = HpaHistory(recommendations=((T0 - timedelta(seconds=60), 4),))
    decision, _ = run(hpa(target=50, behavior={}), 4, ["10m"] * 4, history)
    conds, st = conditions(decision)
    assert conds["AbleToScale"] == (
        "True",
        "ScaleDownStabilized",
        "recent recommendations were higher than current one, applying the highest recent recommendation",
    )
    assert st["desiredReplicas"] == 4 and not any(isinstance(a, Scale) for a in decision.actions)


def test_scale_down_proceeds_once_the_window_has_passed():
    history = HpaHistory(recommendations=((T0 - timedelta(seconds=301), 4),))
    decision, _ = run(hpa(target=50, behavior={}), 4, ["10m"] * 4, history)
    assert [a.replicas for a in decision.actions if isinstance(a, Scale)] == [1]


@pytest.mark.parametrize(
    "cpus, want, reason",
    [
        pytest.param(["1000m"] * 2, 6, "ScaleUpLimit", id="default-policy-4-pods-or-100-percent"),
        pytest.param(["2000m"] * 2, 6, "ScaleUpLimit", id="rate-limited-not-max"),
    ],
)
def test_scale_up_rate_follows_default_policies(cpus, want, reason):
    decision, _ = run(hpa(target=50, max_r=20, behavior={}), 2, cpus)
    conds, _ = conditions(decision)
    assert [a.replicas for a in decision.actions if isinstance(a, Scale)] == [want]
    assert conds["ScalingLimited"][:2] == ("True", reason)


@pytest.mark.parametrize(
    "behavior, want",
    [
        # GetScaleUpRules' defaults: Max(Pods 4, Percent 100) per 15 s: max(3 + 4, 3 * 2)
        pytest.param({}, 7, id="behavior-defaults-max-of-4-pods-and-100-percent"),
        # no behavior: calculateScaleUpLimit, max(2 x current, 4)
        pytest.param(None, 6, id="no-behavior-twice-current-at-least-4"),
    ],
)
def test_from_three_replicas_one_step_is_limited_as_upstream(behavior, want):
    decision, _ = run(hpa(target=50, max_r=20, behavior=behavior), 3, ["2000m"] * 3)
    conds, _ = conditions(decision)
    assert [a.replicas for a in decision.actions if isinstance(a, Scale)] == [want]
    assert conds["ScalingLimited"][:2] == ("True", "ScaleUpLimit")


def test_max_replicas_clamps_with_too_many_replicas():
    decision, _ = run(hpa(target=50, max_r=3, behavior={}), 2, ["400m", "400m"])
    conds, _ = conditions(decision)
    assert [a.replicas for a in decision.actions if isinstance(a, Scale)] == [3]
    assert conds["ScalingLimited"] == (
        "True",
        "TooManyReplicas",
        "the desired replica count is more than the maximum replica count",
    )


def test_missing_metrics_count_as_full_use_on_scale_down():
    pods = [pod(0), pod(1)]
    decision, _ = reconcile_hpa(
        hpa(target=50, behavior={"scaleDown": {"stabilizationWindowSeconds": 0}}),
        target(2),
        pods,
        {"inference-0": usage("10m")},
        HpaHistory(),
        now=T0,
    )
    # ratio 0.1 -> pod 1 counted at 100% of request: (10+200)/400 / 0.5 = 1.05 -> within tolerance
    assert not any(isinstance(a, Scale) for a in decision.actions)


def test_the_rescale_event_and_last_scale_time_are_one_instant():
    """Upstream stamps SuccessfulRescale and status.lastScaleTime in one sync; lab 04 grades
    their order, so a slow write must not put the event a second after the status."""
    decision, _ = run(hpa(target=50), 1, ["200m"])
    st = next(a for a in decision.actions if isinstance(a, UpdateStatus)).obj["status"]
    events = [
        e
        for a in decision.actions
        if isinstance(a, Emit)
        for e in [a.event]
        if e.reason == "SuccessfulRescale"
    ]
    assert [e.at for e in events] == [st["lastScaleTime"]] == [fmt_time(T0)]


# --- metric sources beyond Resource -----------------------------------------------------------


def _with_sidecar(i: int) -> dict:
    return builders.pod(
        f"inference-{i}",
        phase="Running",
        ready=True,
        ready_at=START,
        containers=[
            container(requests={"cpu": "200m"}),
            container("log-shipper", requests={"cpu": "200m"}),
        ],
        status={"startTime": fmt_time(START)},
    )


def test_a_container_resource_metric_reads_only_its_container():
    """The model server at 200m of its 200m request beside an idle sidecar: the pod as a
    whole is at 50% (no change at a 50% target), the container at 100% (double)."""
    metric = {
        "type": "ContainerResource",
        "containerResource": {
            "name": "cpu",
            "container": "model-server",
            "target": {"type": "Utilization", "averageUtilization": 50},
        },
    }
    h = hpa(target=50)
    h["spec"]["metrics"] = [metric]
    pods = [_with_sidecar(i) for i in range(2)]
    sample = {
        "timestamp": fmt_time(T0),
        "window": "15s",
        "containers": [
            {"name": "model-server", "usage": {"cpu": "200m"}},
            {"name": "log-shipper", "usage": {"cpu": "0"}},
        ],
    }
    metrics = {f"inference-{i}": sample for i in range(2)}
    decision, _ = reconcile_hpa(h, target(2), pods, metrics, HpaHistory(), now=T0)
    assert [a.replicas for a in decision.actions if isinstance(a, Scale)] == [4]
    conds, st = conditions(decision)
    assert st["currentMetrics"] == [
        {
            "type": "ContainerResource",
            "containerResource": {
                "name": "cpu",
                "container": "model-server",
                "current": {"averageUtilization": 100, "averageValue": "200m"},
            },
        }
    ]
    assert conds["ScalingActive"][2] == (
        "the HPA was able to successfully calculate a replica count from cpu container "
        "resource utilization (percentage of request)"
    )
    metric["containerResource"]["container"] = "cache"  # no such container in the metrics
    decision, _ = reconcile_hpa(h, target(2), pods, metrics, HpaHistory(), now=T0)
    conds, _ = conditions(decision)
    assert conds["ScalingActive"] == (
        "False",
        "FailedGetContainerResourceMetric",
        "the HPA was unable to compute the replica count: failed to get cpu utilization: "
        "unable to get metrics for resource cpu: failed to get container metrics: container "
        "cache not present in metrics for pod lab/inference-0",
    )


PODS_METRIC = {
    "type": "Pods",
    "pods": {
        "metric": {"name": "packets-per-second"},
        "target": {"type": "AverageValue", "averageValue": "1k"},
    },
}


def test_custom_and_external_metrics_fail_as_on_kind_without_an_adapter():
    h = hpa()
    h["spec"]["metrics"] = [
        PODS_METRIC,
        {
            "type": "External",
            "external": {
                "metric": {
                    "name": "queue_messages_ready",
                    "selector": {"matchLabels": {"queue": "worker_tasks"}},
                },
                "target": {"type": "AverageValue", "averageValue": "30"},
            },
        },
    ]
    decision, _ = run(h, 1, ["100m"])
    events = [(a.event.reason, a.event.message) for a in decision.actions if isinstance(a, Emit)]
    assert events == [
        (
            "FailedGetPodsMetric",
            "unable to get metric packets-per-second: unable to fetch metrics from custom "
            "metrics API: no custom metrics API (custom.metrics.k8s.io) registered",
        ),
        (
            "FailedGetExternalMetric",
            "unable to get external metric lab/queue_messages_ready/&LabelSelector{MatchLabels:"
            "map[string]string{queue: worker_tasks,},MatchExpressions:[]LabelSelectorRequirement"
            "{},}: unable to fetch metrics from external metrics API: the server could not find "
            "the requested resource (get queue_messages_ready.external.metrics.k8s.io)",
        ),
        (
            "FailedComputeMetricsReplicas",
            "invalid metrics (2 invalid out of 2), first error is: failed to get pods metric "
            "value: unable to get metric packets-per-second: unable to fetch metrics from "
            "custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered",
        ),
    ]
    assert not any(isinstance(a, Scale) for a in decision.actions)


def test_with_a_metric_failing_the_first_failure_sets_the_condition_and_good_ones_show():
    """cpu would scale 2 -> 1 while a Pods metric and an External one fail: upstream keeps the
    replicas, sets ScalingActive from the *first* failing metric, and still shows cpu's value
    in currentMetrics (kubectl get hpa: `cpu: 25%/50%, <unknown>/1k ...`)."""
    h = hpa(target=50)
    h["spec"]["metrics"] += [
        PODS_METRIC,
        {
            "type": "External",
            "external": {
                "metric": {"name": "queue_messages_ready"},
                "target": {"type": "Value", "value": "30"},
            },
        },
    ]
    old = HpaHistory(recommendations=((T0 - timedelta(seconds=301), 2),))
    decision, _ = run(h, 2, ["50m", "50m"], history=old)
    assert not any(isinstance(a, Scale) for a in decision.actions)
    conds, st = conditions(decision)
    assert conds["ScalingActive"][:2] == ("False", "FailedGetPodsMetric")
    assert [m["type"] for m in st["currentMetrics"]] == ["Resource", "", ""]
    assert st["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 25
    failed = [a.event.message for a in decision.actions if isinstance(a, Emit)][-1]
    assert failed.startswith(
        "invalid metrics (2 invalid out of 3), first error is: failed to get pods metric value:"
    )


def test_an_external_value_target_is_worded_the_other_way_round():
    h = hpa()
    h["spec"]["metrics"] = [
        {
            "type": "External",
            "external": {
                "metric": {"name": "queue_messages_ready"},
                "target": {"type": "Value", "value": "30"},
            },
        }
    ]
    decision, _ = run(h, 1, ["100m"])
    failed = [a.event.message for a in decision.actions if isinstance(a, Emit)][-1]
    assert failed.startswith(
        "invalid metrics (1 invalid out of 1), first error is: failed to get "
        "queue_messages_ready external metric value: failed to get external metric "
        "queue_messages_ready: unable to get external metric lab/queue_messages_ready/nil: "
    )
