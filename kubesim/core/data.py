"""Where kubesim's data files live: the YAML tables beside the package's code.

`resources.yaml` (what is served), `cluster.yaml` (nodes and versions), `system.yaml`
(kube-system's objects) and `images.yaml` (the image catalog) are data, not code; every
layer that reads one asks here, so moving a module never breaks a relative path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parents[1]
# libyaml where PyYAML was built with it: every kubesim parses these tables at start (and the
# API server every manifest), and the pure-Python parser is several times slower
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def data_file(name: str) -> Path:
    """The path of one of kubesim's data files, e.g. `data_file("resources.yaml")`."""
    return DATA_DIR / name


def read_data(name: str) -> Any:
    """One of kubesim's data files, parsed (safe YAML, with libyaml when there is one)."""
    return yaml.load(data_file(name).read_text(), Loader=SAFE_LOADER)
