"""The course's contents manager reads notebooks in with the metadata their kernel will write."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from kubelab._notebook_metadata import (
    CourseContentsManager,
    kernel_metadata,
    with_kernel_metadata,
)

ROOT = Path(__file__).resolve().parents[2]
KNOWN = {
    "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
    "language_info": {"name": "python", "version": "3.11.7"},
}


def test_a_course_notebook_gets_the_kernels_metadata():
    notebook = {"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}}}
    with_kernel_metadata(notebook, KNOWN)
    assert notebook["metadata"] == KNOWN


def test_a_notebook_on_another_kernel_or_none_is_left_as_it_is():
    other = {"metadata": {"kernelspec": {"name": "ir", "display_name": "R"}}}
    bare: dict = {"metadata": {}}
    with_kernel_metadata(other, KNOWN)
    with_kernel_metadata(bare, KNOWN)
    assert other == {"metadata": {"kernelspec": {"name": "ir", "display_name": "R"}}}
    assert bare == {"metadata": {}}


def test_the_metadata_is_what_this_interpreters_ipykernel_reports():
    import sys

    known = kernel_metadata()
    assert known["kernelspec"]["name"] == "python3"
    assert known["language_info"]["version"] == sys.version.split()[0]


def test_reading_a_course_notebook_fills_it_in_and_leaves_the_file_alone(tmp_path):
    source = (ROOT / "notebooks" / "01-deploy.ipynb").read_text()
    (tmp_path / "01-deploy.ipynb").write_text(source)
    manager = CourseContentsManager(root_dir=str(tmp_path))
    model = asyncio.run(manager.get("01-deploy.ipynb"))
    assert model["content"]["metadata"]["language_info"] == kernel_metadata()["language_info"]
    assert (tmp_path / "01-deploy.ipynb").read_text() == source
    assert json.loads(source)["metadata"]["language_info"] == {"name": "python"}
