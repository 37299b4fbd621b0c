"""The official client's names the checker uses, imported without `kubernetes_validate`.

`import kubernetes` runs the package's `__init__`, which imports `kubernetes.dynamic`, which
imports the optional `kubernetes_validate` for `DynamicClient.validate` alone. That pulls in
`jsonschema`, whose format checkers compile a Lark grammar at import when Jupyter's extras
installed `rfc3987_syntax`: 1.8 s of CPU in every notebook kernel that grades a lab, 3 s on
a slow 2-core machine, for a method the checker never calls.

The optional import is made to fail only while the client is first imported, and the block
is lifted at once: `DynamicClient.validate` says kubernetes-validate is not installed in
that process, and everything else, a later `import kubernetes_validate` included, is as it
was. A host that imported `kubernetes` before the checker keeps its client untouched.
"""

from __future__ import annotations

import sys

_BLOCKED = "kubernetes" not in sys.modules and "kubernetes_validate" not in sys.modules
if _BLOCKED:
    sys.modules["kubernetes_validate"] = None  # type: ignore[assignment]
try:
    from kubernetes.client import ApiClient
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config import new_client_from_config
    from kubernetes.config.config_exception import ConfigException
finally:
    if _BLOCKED and sys.modules.get("kubernetes_validate", 0) is None:
        del sys.modules["kubernetes_validate"]

__all__ = ["ApiClient", "ApiException", "ConfigException", "new_client_from_config"]
