"""A saved notebook keeps no widget views: reopened without its kernel it shows each widget's
fallback, never "Error displaying widget: model not found" (kubelab/_widget_settings.py).
The browser proof is tests/browser/test_reopened_notebooks.py."""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from kubelab._jupyter import lab_environment, write_config
from kubelab._widget_settings import (
    WIDGET_VIEW,
    drop_widget_views,
    without_widget_views,
)

VIEW = {WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": "0123abcd"}}


def _notebook(*outputs: dict) -> dict:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("exercise('01', 'deploy')")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells.append(cell)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return json.loads(json.dumps(nb))  # plain dicts, as the server's save hands them over


def _display(data: dict) -> dict:
    return {"output_type": "display_data", "data": data, "metadata": {}}


@pytest.mark.parametrize(
    "output, kept",
    [
        pytest.param(
            _display({**VIEW, "text/html": "<b>ex</b>", "text/plain": "ex"}),
            [{"text/html": "<b>ex</b>", "text/plain": "ex"}],
            id="view-with-fallbacks-keeps-them",
        ),
        pytest.param(_display(dict(VIEW)), [], id="view-alone-drops-the-output"),
        pytest.param(
            {**_display({**VIEW, "text/plain": "ex"}), "output_type": "execute_result"}
            | {"execution_count": 3},
            [{"text/plain": "ex"}],
            id="execute-result",
        ),
        pytest.param(
            _display({"text/html": "<i>x</i>"}), [{"text/html": "<i>x</i>"}], id="no-view"
        ),
        pytest.param(
            {"output_type": "stream", "name": "stdout", "text": "hello\n"}, [None], id="stream"
        ),
    ],
)
def test_widget_views_leave_saved_outputs_and_their_fallbacks_stay(output, kept):
    nb = _notebook(output)
    without_widget_views(nb)
    assert [o.get("data") for o in nb["cells"][0]["outputs"]] == kept
    assert "widgets" not in nb["metadata"]
    nbformat.validate(nbformat.from_dict(nb))


def test_the_course_config_makes_the_server_save_notebooks_without_widget_views(
    tmp_path, monkeypatch
):
    """The hook as `kubelab course` starts the server: its config folder beside the course's
    (on JUPYTER_CONFIG_PATH), merged, loaded by import string, run by the contents manager."""
    from jupyter_server.serverapp import ServerApp
    from jupyter_server.services.contents.filemanager import FileContentsManager

    home = tmp_path / ".kubelab"
    lab = lab_environment({}, venv_bin=tmp_path, kubeconfig=home / "kubeconfig", home=home)
    write_config(home=home, kubeconfig=home / "kubeconfig", venv_bin=tmp_path)
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH"):
        monkeypatch.setenv(key, lab[key])
    app = ServerApp()
    app.load_config_file()
    manager = FileContentsManager(config=app.config, root_dir=str(tmp_path))
    assert manager.pre_save_hook is drop_widget_views
    assert "build.py" in manager.hide_globs  # kubelab's own server config still applies
    nb = _notebook(_display({**VIEW, "text/html": "<b>ex</b>"}))
    manager.save({"type": "notebook", "format": "json", "content": nb}, "lab.ipynb")
    saved = nbformat.read(tmp_path / "lab.ipynb", as_version=4)
    assert saved["cells"][0]["outputs"][0]["data"] == {"text/html": "<b>ex</b>"}
    assert "widgets" not in saved["metadata"]


def test_other_files_are_saved_untouched():
    model = {"type": "file", "format": "text", "content": json.dumps(VIEW)}
    drop_widget_views(dict(model), path="notes.json")
    assert json.loads(model["content"]) == VIEW


def test_jupyterlab_reads_the_course_widget_settings_from_the_config_path(tmp_path, monkeypatch):
    from jupyterlab_server.settings_utils import _get_overrides

    from kubelab._widget_settings import jupyter_config_path

    monkeypatch.setenv("JUPYTER_CONFIG_PATH", jupyter_config_path({"JUPYTER_CONFIG_PATH": "/x"}))
    assert os.environ["JUPYTER_CONFIG_PATH"].endswith(os.pathsep + "/x")
    overrides, error = _get_overrides(str(tmp_path))
    assert error == ""
    # ipywidgets saves the state of live models only: a save after a restart or a reopen
    # writes none, and the views left behind say "model not found". Off, and views dropped.
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"] == {"saveState": False}


def test_the_live_view_saves_a_snapshot_that_says_it_is_one():
    from kubelab._widget_live import ClusterView

    view = ClusterView("lab-03", api_factory=lambda: None)  # never started: no watch
    view.pods["web-1"] = {
        "metadata": {"name": "web-1"},
        "spec": {"nodeName": None, "containers": [{"name": "c"}]},
        "status": {"phase": "Pending"},
    }
    bundle = view._repr_mimebundle_()
    assert WIDGET_VIEW in bundle  # live where a kernel draws it
    assert "run it again to watch the cluster live" in bundle["text/html"]
    assert "web-1" in bundle["text/html"]
