"""`kubectl describe` of every object the Kubernetes docs' examples create
(`tests/data/k8s-examples/`), on a served kubesim, with the real kubectl: it must print
the object and exit 0 (no error, no panic in kubectl's describers).

Each file gets a namespace of its own (several examples share names); objects that name
their own namespace keep it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.kubesim

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "k8s-examples"
_counter = itertools.count()


def _documents(path: Path) -> list[dict]:
    """The complete objects in a file (kubectl refuses a document without apiVersion/kind
    before sending it, so such a document creates nothing)."""
    docs = yaml.safe_load_all(path.read_text())
    return [d for d in docs if isinstance(d, dict) and d.get("apiVersion") and d.get("kind")]


def _param(path: Path) -> object:
    kinds = {d.get("kind") for d in _documents(path)}
    marks = []
    if "Service" in kinds:
        marks.append(
            pytest.mark.xfail(
                reason="kubectl's Service describer panics (nil pointer in formatEndpointSlices) "
                "on an EndpointSlice port without `name`, until the EndpointSlice controller "
                'writes name: "" as the real one does (issue 14, the controllers\' half)',
                strict=False,
            )
        )
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", [_param(p) for p in sorted(EXAMPLES.glob("*.yaml"))])
def test_describe_runs_on_every_object_of_the_docs_examples(kubesim_cluster, path: Path) -> None:
    namespace = f"describe-{next(_counter)}-{path.stem.split('__')[-1][:20].lower().strip('-.')}"
    namespace = "".join(c if c.isalnum() or c == "-" else "-" for c in namespace).strip("-")
    kubectl = kubesim_cluster.kubectl
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
        described = kubectl("describe", kind, name, "-n", ns, check=False, timeout=60)
        assert described.returncode == 0, f"describe {kind}/{name}:\n{described.stderr}"
        assert "panic" not in described.stderr, described.stderr
        assert "Name:" in described.stdout and name in described.stdout, described.stdout
