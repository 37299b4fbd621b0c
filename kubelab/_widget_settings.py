"""The JupyterLab settings the course's widgets rely on, for whoever starts JupyterLab.

`jupyter_config/labconfig/default_setting_overrides.json` turns on ipywidgets' "save widget
state" (so a notebook reopened without its kernel shows its exercises greyed out with "run
this cell to load the exercise", instead of "Error displaying widget: model not found") and
turns off JupyterLab's news prompt. JupyterLab reads it from any folder on
`JUPYTER_CONFIG_PATH`; these are defaults, so a learner's own settings still win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

JUPYTER_CONFIG = Path(__file__).resolve().parent / "jupyter_config"


def jupyter_config_path(env: Mapping[str, str] | None = None) -> str:
    """`JUPYTER_CONFIG_PATH` with the course's settings folder first."""
    current = (os.environ if env is None else env).get("JUPYTER_CONFIG_PATH", "")
    return os.pathsep.join(p for p in (str(JUPYTER_CONFIG), current) if p)
