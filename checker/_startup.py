"""Keep 0.8 s of grammar building out of every command that reads the cluster.

`import kubernetes` imports `kubernetes.dynamic`, which imports `kubernetes_validate` when it
is installed (kubelab's lint uses it), which imports `jsonschema`, whose format module imports
`rfc3987_syntax` when it is installed (JupyterLab's `jupyter-events` asks for
`jsonschema[format-nongpl]`, which brings it). `rfc3987_syntax` builds an Earley parser for
the IRI grammar at import: 0.77 s of CPU on these machines, in every `kubelab check`, every
notebook kernel's first check, and 440 times in the test suite (python-jsonschema/jsonschema
issue 1428; not fixed in jsonschema 4.26). Nothing here validates the `iri` format, so the
module is marked absent before `kubernetes` is imported: jsonschema then leaves out its `iri`
checkers, as it does wherever the package is not installed. A process that imported it
already keeps it.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
