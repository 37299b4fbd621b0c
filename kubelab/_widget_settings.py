"""The Jupyter settings the course's widgets rely on, for whoever starts JupyterLab.

A widget output is saved as a *view* (`application/vnd.jupyter.widget-view+json`) of a model
that lived in the kernel. Reopened without that kernel (the page reloaded, the kernel
restarted or new), no kernel knows the model, and ipywidgets' renderer, which JupyterLab
prefers to every other mimetype of the output, shows "Error displaying widget: model not
found" where the exercise was. ipywidgets' "save widget state" does not cure it: it saves
only the models whose kernel connection is alive (`get_state_sync` skips the rest), so a
save after a kernel restart, or after a reopen, writes an empty state beside views that
still point at it; and with it on, every model registered marks the notebook unsaved.

So the course never keeps widget views in a saved file:

* `jupyter_config/labconfig/default_setting_overrides.json` turns "save widget state" off
  (and JupyterLab's news prompt too);
* `jupyter_config/jupyter_server_config.json` makes `drop_widget_views` the
  server's pre-save hook: every widget output is saved without its view, so JupyterLab
  shows the output's other mimetypes. The course's widgets carry an HTML fallback (the
  exercise with its buttons disabled and "run this cell to load the exercise"); running
  the cell draws a live widget again.

The same server config names the course's contents manager (`_notebook_metadata`), which
reads notebooks in with the kernel metadata JupyterLab would otherwise add on open.

Jupyter reads both from any folder on `JUPYTER_CONFIG_PATH`, which `jupyter_config_path`
puts first; they are defaults, so a learner's own settings still win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

JUPYTER_CONFIG = Path(__file__).resolve().parent / "jupyter_config"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "widgets"  # the notebook metadata key of ipywidgets' saved state


def jupyter_config_path(env: Mapping[str, str] | None = None) -> str:
    """`JUPYTER_CONFIG_PATH` with the course's settings folder first."""
    current = (os.environ if env is None else env).get("JUPYTER_CONFIG_PATH", "")
    return os.pathsep.join(p for p in (str(JUPYTER_CONFIG), current) if p)


def without_widget_views(notebook: dict[str, Any]) -> int:
    """Drop widget views and saved widget state from a notebook (nbformat 4 JSON, in place);
    how many outputs lost a view. An output left with no data at all is dropped."""
    notebook.get("metadata", {}).pop(WIDGET_STATE, None)
    dropped = 0
    for cell in notebook.get("cells", []):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = []
        for output in outputs:
            data = output.get("data")
            if isinstance(data, dict) and WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                dropped += 1
                if not data:
                    continue
            kept.append(output)
        cell["outputs"] = kept
    return dropped


def drop_widget_views(model: dict[str, Any], **_: Any) -> None:
    """jupyter_server's `ContentsManager.pre_save_hook`: save notebooks without widget views."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        without_widget_views(model["content"])
