"""The official client is imported when a check first reads the cluster, not by `import
checker`: `kubelab reset`, `solve`, `break` and `lint` do not pay for it (checker/__init__.py);
a notebook pays for it with its first cell (kubelab/notebook.py)."""

from __future__ import annotations

import pytest
from fresh_python import python_output

import checker


def test_the_cli_starts_without_the_official_client_and_a_check_loads_it() -> None:
    out = python_output(
        "import sys; import kubelab.cli as cli; cli._register(cli.modules_for([])); "
        "print('kubernetes' in sys.modules); "
        "from checker import run_lab, ReadOnlyClient; print('kubernetes' in sys.modules)"
    )
    assert out.split() == ["False", "True"]


def test_every_public_name_resolves() -> None:
    for name in checker.__all__:
        assert getattr(checker, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        checker.nope  # noqa: B018


def test_a_notebook_loads_the_client_with_its_first_cell_not_at_the_first_check() -> None:
    """The widget must show its countdown within a second of the Check click
    (tests/browser/test_course_in_jupyterlab.py), so the import pays for the client."""
    out = python_output("import sys, kubelab.notebook; print('kubernetes' in sys.modules)")
    assert out == "True"


def test_a_notebook_kernel_loads_the_client_without_its_optional_validator() -> None:
    """The client's optional kubernetes_validate brings jsonschema and, with Jupyter's
    extras, a grammar compiled at import: 1.8 s of every kernel (checker/_official_client.py).
    It stays importable afterwards, for `kubelab lint` and for the learner's own code."""
    out = python_output(
        "import sys, kubelab.notebook; "
        "print('jsonschema' in sys.modules, 'kubernetes_validate' in sys.modules); "
        "import kubernetes_validate; print(kubernetes_validate.validate is not None)"
    )
    assert out.split() == ["False", "False", "True"]


def test_a_host_that_imported_the_client_first_keeps_it_whole() -> None:
    out = python_output(
        "import sys, kubernetes, checker._client; "
        "print(sys.modules['kubernetes_validate'] is not None, "
        "kubernetes.dynamic.client.HAS_KUBERNETES_VALIDATE)"
    )
    assert out.split() == ["True", "True"]
