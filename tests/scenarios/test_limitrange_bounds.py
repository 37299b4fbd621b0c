"""The docs' tasks "Configure Minimum and Maximum Memory Constraints for a Namespace",
"Configure Minimum and Maximum CPU Constraints for a Namespace" and "Limit Storage
Consumption", step by step through kubectl: the LimitRange as the API stores it (defaults
derived from max), the pods and claims it admits, and the ones it refuses with the API
server's 403 in the LimitRanger plugin's words. The pages' namespaces are the fixture's
`lab`. Kubernetes 1.37's messages end without the period the pages still show.
"""

from __future__ import annotations

from scenario_kubectl import Lab

MEMORY_BOUNDS = """
apiVersion: v1
kind: LimitRange
metadata:
  name: mem-min-max-demo-lr
spec:
  limits:
  - max:
      memory: 1Gi
    min:
      memory: 500Mi
    type: Container
"""


def _memory_pod(name: str, resources: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: {name}-ctr
    image: nginx
{resources}
"""


def _refusal(lab: Lab, manifest: str) -> str:
    denied = lab.kubectl("apply", "-f", "-", input=manifest, check=False)
    assert denied.returncode == 1, denied.stdout
    return denied.stderr.strip()


def test_the_memory_constraints_page(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=MEMORY_BOUNDS)
    limits = lab.get_json("limitrange", "mem-min-max-demo-lr")["spec"]["limits"]
    assert limits == [
        {
            "default": {"memory": "1Gi"},
            "defaultRequest": {"memory": "1Gi"},
            "max": {"memory": "1Gi"},
            "min": {"memory": "500Mi"},
            "type": "Container",
        }
    ]

    within = _memory_pod(
        "constraints-mem-demo",
        "    resources:\n      limits:\n        memory: 800Mi\n      requests:\n        memory: 600Mi",
    )
    assert "created" in lab.kubectl("apply", "-f", "-", input=within).stdout

    over = _memory_pod(
        "constraints-mem-demo-2",
        "    resources:\n      limits:\n        memory: 1.5Gi\n      requests:\n        memory: 800Mi",
    )
    assert _refusal(lab, over) == (
        'Error from server (Forbidden): error when creating "STDIN": pods '
        '"constraints-mem-demo-2" is forbidden: maximum memory usage per Container is 1Gi, '
        "but limit is 1536Mi"
    )
    under = _memory_pod(
        "constraints-mem-demo-3",
        "    resources:\n      limits:\n        memory: 800Mi\n      requests:\n        memory: 100Mi",
    )
    assert _refusal(lab, under).endswith(
        'pods "constraints-mem-demo-3" is forbidden: minimum memory usage per Container is '
        "500Mi, but request is 100Mi"
    )
    assert lab.kubectl("get", "pod", "constraints-mem-demo-2", check=False).returncode == 1

    # a pod that states nothing gets the defaults the API derived from max
    lab.kubectl("apply", "-f", "-", input=_memory_pod("constraints-mem-demo-4", ""))
    resources = lab.get_json("pod", "constraints-mem-demo-4")["spec"]["containers"][0]["resources"]
    assert resources == {"limits": {"memory": "1Gi"}, "requests": {"memory": "1Gi"}}

    described = lab.kubectl("describe", "limitrange", "mem-min-max-demo-lr").stdout
    rows = [line.split() for line in described.splitlines()]
    assert ["Container", "memory", "500Mi", "1Gi", "1Gi", "1Gi", "-"] in rows


def test_the_cpu_constraints_page_and_a_deployment_it_refuses(lab: Lab) -> None:
    lab.kubectl(
        "apply",
        "-f",
        "-",
        input=MEMORY_BOUNDS.replace("memory: 1Gi", "cpu: 800m")
        .replace("memory: 500Mi", "cpu: 200m")
        .replace("mem-min-max", "cpu-min-max"),
    )
    over = """
apiVersion: v1
kind: Pod
metadata:
  name: constraints-cpu-demo-2
spec:
  containers:
  - name: constraints-cpu-demo-2-ctr
    image: nginx
    resources:
      limits:
        cpu: "1.5"
      requests:
        cpu: "500m"
"""
    assert _refusal(lab, over).endswith(
        'pods "constraints-cpu-demo-2" is forbidden: maximum cpu usage per Container is 800m, '
        "but limit is 1500m"
    )
    # A controller meets the same refusal: its ReplicaSet reports it and makes no pod.
    lab.kubectl("create", "deployment", "greedy", "--image=nginx")
    lab.kubectl("set", "resources", "deployment", "greedy", "--limits=cpu=2", "--requests=cpu=1")

    def refused() -> bool:
        events = lab.get_json("events", "--field-selector", "reason=FailedCreate")["items"]
        return any(
            "maximum cpu usage per Container is 800m, but limit is 2" in e.get("message", "")
            for e in events
        )

    lab.wait_for(refused, timeout=lab.wall(30), what="the ReplicaSet's FailedCreate event")


def test_a_bad_limitrange_is_refused_when_written(lab: Lab) -> None:
    bad = MEMORY_BOUNDS.replace("memory: 500Mi", "memory: 2Gi")
    refused = _refusal(lab, bad).splitlines()
    assert refused[0] == 'The LimitRange "mem-min-max-demo-lr" is invalid: '
    assert refused[1] == (
        "* spec.limits[0].min[memory]: Invalid value: resource.Quantity{i:resource.int64Amount"
        "{value:2147483648, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, "
        's:"2Gi", Format:"BinarySI"}: min value 2Gi is greater than max value 1Gi'
    )
    # the defaults derived from max (1Gi) are below min too
    assert refused[2].endswith("min value 2Gi is greater than default request value 1Gi")
    assert refused[3].endswith("min value 2Gi is greater than default value 1Gi")
    assert lab.kubectl("get", "limitrange", "mem-min-max-demo-lr", check=False).returncode == 1


STORAGE_BOUNDS = """
apiVersion: v1
kind: LimitRange
metadata:
  name: storagelimits
spec:
  limits:
  - type: PersistentVolumeClaim
    max:
      storage: 2Gi
    min:
      storage: 1Gi
"""


def _claim(name: str, storage: str) -> str:
    return f"""
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {name}
spec:
  accessModes:
  - ReadWriteOnce
  resources:
    requests:
      storage: {storage}
"""


def test_the_limit_storage_consumption_page(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=STORAGE_BOUNDS)
    assert _refusal(lab, _claim("pvc-limit-lower", "500Mi")).endswith(
        'persistentvolumeclaims "pvc-limit-lower" is forbidden: minimum storage usage per '
        "PersistentVolumeClaim is 1Gi, but request is 500Mi"
    )
    assert _refusal(lab, _claim("pvc-limit-greater", "5Gi")).endswith(
        'persistentvolumeclaims "pvc-limit-greater" is forbidden: maximum storage usage per '
        "PersistentVolumeClaim is 2Gi, but request is 5Gi"
    )
    assert "created" in lab.kubectl("apply", "-f", "-", input=_claim("pvc-ok", "1Gi")).stdout
    # growing the claim past the bound later is refused too
    grown = lab.kubectl(
        "patch",
        "pvc",
        "pvc-ok",
        "-p",
        '{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}',
        check=False,
    )
    assert grown.returncode == 1
    assert "maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 3Gi" in (
        grown.stderr
    )
