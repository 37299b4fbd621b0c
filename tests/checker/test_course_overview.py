"""The course's landing page: every lab found in labs/, its minutes and objectives, the score on
the live cluster graded now, a link to its notebook; "cluster not up" without a cluster."""

from __future__ import annotations

import shutil
import socket
import time

import pytest
from checker_fakeapi import LABS, write_kubeconfig

from kubelab._widget_course import LabLine
from kubelab.notebook import course_overview


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01-deploy.ipynb").write_text("{}")  # 02-scale has no notebook yet
    return folder


def test_every_lab_is_listed_with_its_score_on_the_cluster_now(healthy, kubeconfig, notebooks):
    page = course_overview(labs=LABS, notebooks=notebooks)
    assert [line.lab.id for line in page.labs] == ["01-deploy", "02-scale"]  # not _draft
    deploy, scale = page.labs
    assert (deploy.points, deploy.max_points, deploy.status) == (15, 15, "passed")
    assert (scale.points, scale.max_points, scale.status) == (0, 6, "todo")
    assert page.graded and (page.points, page.max_points) == (15, 21)
    html = page._repr_html_()
    assert "<a href='01-deploy.ipynb'>01-deploy: Deploy the inference service</a>" in html
    assert "02-scale: " in html and "(no notebook yet)" in html
    assert "About 20 minutes" in html
    assert "<li>Run the model server as a Deployment with resource limits</li>" in html
    assert '<span class="kl-badge kl-passed">DONE</span> 15/15 points' in html
    assert '<span class="kl-badge kl-stopped">TO DO</span> 0/6 points' in html
    text = repr(page)
    assert "Your score on the lab cluster now: 15/21 points." in text
    assert (
        "01-deploy: Deploy the inference service (20 min, 15/15 points) -> 01-deploy.ipynb" in text
    )


def test_without_a_cluster_every_lab_is_listed_and_the_page_says_how_to_start_one(notebooks):
    page = course_overview(labs=LABS, notebooks=notebooks)
    assert not page.graded
    assert (
        page.problem == "Cluster not up: run `kubelab up` in a terminal, then run this cell again."
    )
    assert "There is no lab cluster yet" in page.detail  # the reason, as the CLI says it
    assert [line.points for line in page.labs] == [None, None]
    html = page._repr_html_()
    assert "Cluster not up: run <code>kubelab up</code>" in html
    assert "<div class='kl-muted'>There is no lab cluster yet" in html
    assert "01-deploy: Deploy the inference service" in html and 'class="kl-badge' not in html


def test_a_cluster_that_does_not_answer_is_not_up_said_at_once(tmp_path, notebooks):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    write_kubeconfig(tmp_path / "kubelab-home" / "kubeconfig", f"https://127.0.0.1:{port}")
    started = time.monotonic()
    page = course_overview(labs=LABS, notebooks=notebooks)
    assert time.monotonic() - started < 10
    assert page.problem.startswith("Cluster not up: run `kubelab up`")


def test_a_lab_added_to_the_folder_is_on_the_page(tmp_path, notebooks):
    labs = tmp_path / "labs"
    shutil.copytree(LABS, labs)
    extra = labs / "03-extra"
    shutil.copytree(labs / "02-scale", extra)
    text = (extra / "lab.yaml").read_text()
    (extra / "lab.yaml").write_text(text.replace("id: 02-scale", "id: 03-extra"))
    page = course_overview(labs=labs, notebooks=notebooks)
    assert [line.lab.id for line in page.labs] == ["01-deploy", "02-scale", "03-extra"]
    assert page.minutes == sum(line.lab.minutes for line in page.labs)


@pytest.mark.parametrize(
    "points, status",
    [
        pytest.param(None, "unknown", id="not-graded"),
        pytest.param(0, "todo", id="nothing-yet"),
        pytest.param(4, "started", id="some-points"),
        pytest.param(15, "passed", id="every-point"),
    ],
)
def test_a_lab_status_follows_its_points(labs, points, status):
    assert LabLine(labs["01-deploy"], None, points=points, max_points=15).status == status
