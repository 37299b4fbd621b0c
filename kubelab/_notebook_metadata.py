"""Notebooks open as saved: their kernel metadata filled in before JupyterLab sees them.

When a kernel starts, JupyterLab writes the kernel's `kernelspec` and `language_info` into the
notebook's metadata; if they differ from what the file holds, the notebook turns unsaved the
moment it opens, and a learner who closes it is asked to save changes they never made. The
course's notebooks are built with the short form (`notebooks/build.py`), since the long one
names a Python version (3.11.7 here, something else on the learner's machine). So the course's
contents manager fills in, on every read, what the kernel this server starts will report: the
python3 kernel's spec and ipykernel's `language_info` from this same interpreter. Only reads
change; the file on disk is written only when the learner saves.
"""

from __future__ import annotations

import functools
from typing import Any

from ipykernel.ipkernel import IPythonKernel
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

KERNEL = "python3"  # the kernel the course's notebooks name (notebooks/build.py)


@functools.cache
def kernel_metadata() -> dict[str, Any]:
    """What JupyterLab will write once the python3 kernel is up (its spec as the server
    lists it, and the language_info ipykernel replies with)."""
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        return {}
    return {
        "kernelspec": {
            "name": KERNEL,
            "display_name": spec.display_name,
            "language": spec.language,
        },
        "language_info": dict(IPythonKernel.language_info),
    }


def with_kernel_metadata(notebook: dict[str, Any], known: dict[str, Any]) -> None:
    """Fill in `known` kernel metadata (in place) for a notebook on the course's kernel; a
    notebook naming another kernel, or none, is left as it is."""
    metadata = notebook.get("metadata")
    if not known or not isinstance(metadata, dict):
        return
    spec = metadata.get("kernelspec")
    if not isinstance(spec, dict) or spec.get("name") != KERNEL:
        return
    metadata.update(known)


class CourseContentsManager(AsyncLargeFileManager):
    """jupyter_server's default contents manager, with notebooks read as the kernel sees them."""

    async def get(self, path: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        model: dict[str, Any] = await super().get(path, *args, **kwargs)
        if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
            with_kernel_metadata(model["content"], kernel_metadata())
        return model
