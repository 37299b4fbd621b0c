"""`jupyter lab`, started without jsonschema's rfc3987 grammar: `python -m kubelab._lab_server`.

Jupyter Server validates its events with jsonschema and its format checkers. With Jupyter's
extras installed, one of those checkers compiles `rfc3987_syntax`'s Lark grammar at import,
for the `iri` string format, which no schema of JupyterLab or Jupyter Server uses. On the
2-core reference machine that was 2.5 s of the 4.5 s before JupyterLab answered, and of its
CPU 3.9 s became 1.3 s. `kubelab course` starts JupyterLab through this module, with the
arguments `jupyter lab` takes; the optional import fails, so jsonschema leaves `iri`
unchecked, and everything else is JupyterLab's own `main`. `kubelab` leaves the grammar out
of its own process the same way (kubelab/cli.py).
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from jupyterlab.labapp import main

    sys.exit(main())
