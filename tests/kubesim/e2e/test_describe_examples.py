"""`kubectl describe` of every object the Kubernetes docs' examples create
(`tests/data/k8s-examples/`), on a served kubesim, with the real kubectl: it must print
the object and exit 0 (no error, no panic in kubectl's describers), naming no folder of
kubesim's own.

Each file gets a namespace of its own (several examples share names); objects that name
their own namespace keep it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubesim_process import Cluster, internal_paths, start_kubesim, stop_kubesim

pytestmark = pytest.mark.kubesim

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "k8s-examples"
_counter = itertools.count()


def _documents(path: Path) -> list[dict]:
    """The complete objects in a file (kubectl refuses a document without apiVersion/kind
    before sending it, so such a document creates nothing)."""
    docs = yaml.safe_load_all(path.read_text())
    return [d for d in docs if isinstance(d, dict) and d.get("apiVersion") and d.get("kind")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A whole cluster (controllers and kubelets), so a Service has the EndpointSlices that
    kubectl's Service describer reads: it panicked on a port without `name` (issue 14)."""
    served = start_kubesim(tmp_path_factory.mktemp("describe"), controllers=True)
    yield served
    stop_kubesim(served)


def _slices_of(kubectl: Callable[..., Any], name: str, ns: str) -> bool:
    listed = kubectl(
        "get", "endpointslices", "-n", ns, "-l", f"kubernetes.io/service-name={name}", "-o", "name"
    )
    return bool(listed.stdout.strip())


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.stem) for p in sorted(EXAMPLES.glob("*.yaml"))]
)
def test_describe_runs_on_every_object_of_the_docs_examples(cluster: Cluster, path: Path) -> None:
    namespace = f"describe-{next(_counter)}-{path.stem.split('__')[-1][:20].lower().strip('-.')}"
    namespace = "".join(c if c.isalnum() or c == "-" else "-" for c in namespace).strip("-")
    kubectl = cluster.kubectl
    kubectl("create", "namespace", namespace)
    documents = _documents(path)
    if not documents:
        pytest.skip("no complete object: kubectl itself refuses the file (no apiVersion/kind)")
    for doc in documents:
        ns = doc["metadata"].get("namespace") or namespace
        created = kubectl("create", "-n", ns, "-f", "-", input=yaml.safe_dump(doc), check=False)
        if created.returncode != 0 and "AlreadyExists" not in created.stderr:
            raise AssertionError(f"kubesim refused a docs example:\n{created.stderr}")
    for doc in documents:
        kind, name = doc["kind"], doc["metadata"]["name"]
        ns = doc["metadata"].get("namespace") or namespace
        if kind == "Service" and (doc.get("spec") or {}).get("selector"):
            deadline = time.monotonic() + 30
            while not _slices_of(kubectl, name, ns) and time.monotonic() < deadline:
                time.sleep(0.2)  # the EndpointSlice controller, a real process's loop
            assert _slices_of(kubectl, name, ns), f"no EndpointSlice for Service {name}"
        described = kubectl("describe", kind, name, "-n", ns, check=False, timeout=60)
        assert described.returncode == 0, f"describe {kind}/{name}:\n{described.stderr}"
        assert "panic" not in described.stderr, described.stderr
        assert "Name:" in described.stdout and name in described.stdout, described.stdout
        assert internal_paths(described.stdout, cluster.state_dir) == []  # as on a node
