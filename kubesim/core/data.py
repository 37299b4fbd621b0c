"""Where kubesim's data files live: the YAML tables beside the package's code.

`resources.yaml` (what is served), `cluster.yaml` (nodes and versions), `system.yaml`
(kube-system's objects) and `images.yaml` (the image catalog) are data, not code; every
layer that reads one asks here, so moving a module never breaks a relative path.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1]


def data_file(name: str) -> Path:
    """The path of one of kubesim's data files, e.g. `data_file("resources.yaml")`."""
    return DATA_DIR / name
