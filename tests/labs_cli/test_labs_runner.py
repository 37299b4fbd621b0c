"""StepRunner on the fake machine: exact kubectl argv, files, errors, waits and node steps."""

from __future__ import annotations

import asyncio
import ssl
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, fail, write_kubeconfig
from aiohttp import web

import checker
from kubelab import _procs
from kubelab._backend_base import LabPaths
from kubelab._backend_kind import KindBackend
from kubelab._backend_sim import SimBackend
from kubelab._steps import BadStep, StepError, StepRunner, checker_waiter, stopped_nodes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "checker"))
from checker_fakeapi import FakeApi, Server  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "data" / "labs" / "01-fixture"


@pytest.fixture
def lab() -> checker.Lab:
    return checker.load_lab(FIXTURE / "lab.yaml")


@pytest.fixture
def paths(lab_home: Path) -> LabPaths:
    return LabPaths(home=lab_home)


@dataclass
class Recorder:
    said: list[str] = field(default_factory=list)
    waited: list[str] = field(default_factory=list)
    nodes: list[tuple[str, str]] = field(default_factory=list)
    wait_answer: str | None = None

    def node(self, name: str, action: str) -> None:
        self.nodes.append((name, action))

    def waiter(self, lab, check) -> str | None:
        self.waited.append(check.name)
        return self.wait_answer


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


def make_runner(paths: LabPaths, rec: Recorder) -> StepRunner:
    return StepRunner(paths, nodes=lambda: rec, waiter=rec.waiter, say=rec.said.append)


def test_every_kubectl_runs_the_venv_binary_on_the_lab_kubeconfig_and_cache(
    host: FakeHost, paths: LabPaths, rec: Recorder, lab: checker.Lab
):
    make_runner(paths, rec).run(lab, lab.setup, phase="setup")

    assert [c.argv for c in host.calls] == [
        [
            _procs.kubectl_binary(), "--kubeconfig", str(paths.kubeconfig),
            "--cache-dir", str(paths.kube_cache),
            "apply", "-f", str(FIXTURE / "manifests" / "web.yaml"), "-n", "lab",
        ],
        [
            _procs.kubectl_binary(), "--kubeconfig", str(paths.kubeconfig),
            "--cache-dir", str(paths.kube_cache),
            "rollout", "status", "deployment/web", "--timeout", "60s", "-n", "lab",
        ],
    ]  # fmt: skip
    assert all(c.env and c.env["KUBECONFIG"] == str(paths.kubeconfig) for c in host.calls)
    assert rec.said == [
        "  [setup 1/2] kubectl apply -f manifests/web.yaml",
        "  [setup 2/2] kubectl rollout status deployment/web --timeout 60s",
    ]


def test_fault_with_delete_and_inline_manifest(
    host: FakeHost, paths: LabPaths, rec: Recorder, lab: checker.Lab
):
    make_runner(paths, rec).run(lab, lab.faults["lost-config"].steps, phase="fault lost-config")

    written = paths.home / "applied" / "01-fixture" / "configmap-web-config-wrong.yaml"
    assert host.lines() == [
        "kubectl delete configmap web-config -n lab --ignore-not-found --wait=true",
        f"kubectl apply -f {written} -n lab",
    ]
    assert "colour: red" in written.read_text()


def test_solution_with_wait_asks_the_waiter_after_the_kubectl_steps(
    host: FakeHost, paths: LabPaths, rec: Recorder, lab: checker.Lab
):
    scale = lab.exercise("scale")
    assert scale is not None
    make_runner(paths, rec).run(lab, scale.solution, phase="solution of scale")

    assert host.lines() == [
        "kubectl scale deployment/web --replicas=3 -n lab",
        "kubectl delete horizontalpodautoscaler.autoscaling web -n lab --ignore-not-found --wait=true",
    ]
    assert rec.waited == ["scaled"]
    assert rec.said[-1] == "  [solution of scale 3/3] wait until scaled (up to 30s)"


def test_failed_kubectl_step_stops_the_run_with_one_paragraph_naming_lab_step_and_stderr(
    host: FakeHost, paths: LabPaths, rec: Recorder, lab: checker.Lab
):
    host.rules["kubectl apply"] = fail(
        'Error from server (Forbidden): deployments.apps "web" is forbidden: exceeded quota'
    )
    with pytest.raises(StepError) as caught:
        make_runner(paths, rec).run(lab, lab.setup, phase="setup")

    text = str(caught.value)
    assert "Lab 01-fixture: step 1 of 2 of the setup" in text
    assert "`kubectl apply -f manifests/web.yaml`" in text
    assert 'deployments.apps "web" is forbidden: exceeded quota' in text
    assert "\n" not in text
    assert len(host.calls) == 1  # the rollout status step never ran
    assert caught.value.exit_code == 5


def test_wait_that_never_passes_fails_with_the_checkers_words(
    host: FakeHost, paths: LabPaths, rec: Recorder, lab: checker.Lab
):
    rec.wait_answer = (
        "The web Deployment has 3 available replicas. Found: status.availableReplicas: 1."
    )
    with pytest.raises(StepError, match=r"waited 30s for 'scaled' and it never came true: The web"):
        make_runner(paths, rec).run(lab, [lab.exercises[1].solution[2]], phase="solution of scale")


def test_apply_of_a_missing_file_is_a_lab_data_error_and_runs_nothing(
    host: FakeHost, paths: LabPaths, rec: Recorder, lab: checker.Lab
):
    with pytest.raises(BadStep, match="does not exist") as caught:
        make_runner(paths, rec).run(lab, [{"apply": "faults/nope.yaml"}], phase="fault x")
    assert host.calls == []
    assert caught.value.exit_code == 2


def test_a_step_that_is_not_a_step_names_the_lab_file(
    host: FakeHost, paths: LabPaths, rec: Recorder, lab: checker.Lab
):
    with pytest.raises(BadStep, match=r"step 1 of 1 of the setup cannot be carried out.*lab\.yaml"):
        make_runner(paths, rec).run(
            lab, [{"node": {"name": "db-1", "action": "stop"}}], phase="setup"
        )
    assert rec.nodes == []


def test_node_steps_go_to_the_backend_and_are_remembered_until_started(
    host: FakeHost, paths: LabPaths, rec: Recorder, lab: checker.Lab
):
    runner = make_runner(paths, rec)
    runner.run(lab, [{"node": {"name": "kubelab-worker2", "action": "stop"}}], phase="fault")
    assert stopped_nodes(paths) == ["kubelab-worker2"]
    runner.run(lab, [{"node": {"name": "kubelab-worker2", "action": "start"}}], phase="reset")
    assert stopped_nodes(paths) == []
    assert rec.nodes == [("kubelab-worker2", "stop"), ("kubelab-worker2", "start")]
    # the Node says who started it last, so lab 03 can tell its own restart from a reset's
    assert [line.split(" --kubeconfig")[0] for line in host.lines()] == [
        "kubectl annotate node kubelab-worker2 kubelab.dev/started-by- --overwrite",
        f"kubectl annotate node kubelab-worker2 kubelab.dev/started-by={lab.id}, reset --overwrite",
    ]


# --- the backends' node control -----------------------------------------------------------


@pytest.mark.parametrize("action", ["stop", "start"])
def test_kind_node_step_is_docker_stop_or_start_of_the_node_container(
    host: FakeHost, paths: LabPaths, action: str
):
    KindBackend(paths).node("kubelab-worker2", action)
    assert host.lines() == [f"docker {action} kubelab-worker2"]


def test_kind_refuses_to_stop_a_container_that_is_not_a_lab_node(host: FakeHost, paths: LabPaths):
    with pytest.raises(Exception, match="only the lab cluster's nodes"):
        KindBackend(paths).node("postgres", "stop")
    assert host.calls == []


def test_kind_docker_failure_is_one_paragraph(host: FakeHost, paths: LabPaths):
    host.rules["docker stop"] = fail(
        "Error response from daemon: No such container: kubelab-worker2"
    )
    with pytest.raises(Exception, match="No such container: kubelab-worker2"):
        KindBackend(paths).node("kubelab-worker2", "stop")


@dataclass
class FakeKubesim:
    """kubesim's node admin endpoint over https with its own CA, recording each request."""

    tls_dir: Path
    answer: int = 200
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path, request.headers.get("Authorization")))
        if self.answer != 200:
            return web.json_response(
                {"kind": "Status", "status": "Failure", "message": 'nodes "x" not found'},
                status=self.answer,
            )
        return web.json_response({"name": request.match_info["name"]})


@pytest.fixture
def kubesim_admin(tmp_path: Path) -> Iterator[tuple[FakeKubesim, object]]:
    from kubesim.apiserver.certs import ensure_tls

    tls = ensure_tls(tmp_path / "tls")
    fake = FakeKubesim(tls_dir=tmp_path / "tls")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tls.server_cert, tls.server_key)
    runner_box: list[web.AppRunner] = []

    async def start() -> int:
        app = web.Application()
        app.router.add_post("/kubesim/v1/nodes/{name}/{action}", fake.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        runner_box.append(runner)
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    port = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    fake.url = f"https://127.0.0.1:{port}"
    try:
        yield fake, tls
    finally:
        asyncio.run_coroutine_threadsafe(runner_box[0].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def sim_kubeconfig(paths: LabPaths, server: str, tls) -> None:
    from kubesim.cluster.serve import write_kubeconfig as kubesim_kubeconfig

    kubesim_kubeconfig(paths.kubeconfig, server=server, ca_pem=tls.ca_pem, token=tls.token)


@pytest.mark.parametrize("action", ["stop", "start"])
def test_sim_node_step_posts_to_kubesim_admin_with_the_kubeconfigs_ca_and_token(
    paths: LabPaths, kubesim_admin, action: str
):
    fake, tls = kubesim_admin
    sim_kubeconfig(paths, fake.url, tls)

    SimBackend(paths).node("kubelab-worker2", action)

    assert fake.requests == [
        ("POST", f"/kubesim/v1/nodes/kubelab-worker2/{action}", f"Bearer {tls.token}")
    ]


def test_sim_node_refusal_is_one_paragraph_with_kubesims_words(paths: LabPaths, kubesim_admin):
    fake, tls = kubesim_admin
    fake.answer = 404
    sim_kubeconfig(paths, fake.url, tls)
    with pytest.raises(
        Exception, match=r"kubesim refused to stop node kubelab-worker9 \(404: .*not found"
    ):
        SimBackend(paths).node("kubelab-worker9", "stop")


def test_sim_node_step_refuses_a_foreign_kubeconfig_before_any_request(
    paths: LabPaths, kubesim_admin
):
    fake, _ = kubesim_admin
    write_kubeconfig(paths.kubeconfig, "prod-cluster", fake.url)
    with pytest.raises(Exception, match="Refusing to act"):
        SimBackend(paths).node("kubelab-worker2", "stop")
    assert fake.requests == []


# --- the real waiter: the checker on one check -------------------------------------------


def web_deployment(available: int) -> list[dict]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab", "uid": "n"}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "lab", "uid": "d"},
            "spec": {"replicas": 3},
            "status": {"availableReplicas": available},
        },
    ]


@pytest.fixture
def fake_api(paths: LabPaths) -> Iterator[FakeApi]:
    api = FakeApi()
    server = Server(api)
    server.start()
    write_kubeconfig(paths.kubeconfig, "kubesim-kubelab", api.url)
    try:
        yield api
    finally:
        server.stop()


def scaled_check(within: float) -> checker.Check:
    return checker.Check.model_validate(
        {
            "name": "scaled",
            "message": "The web Deployment has 3 available replicas.",
            "within": within,
            "expect": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web"},
                "status": {"availableReplicas": 3},
            },
        }
    )


def test_checker_waiter_passes_when_the_check_passes(
    fake_api: FakeApi, paths: LabPaths, lab: checker.Lab
):
    fake_api.objects = web_deployment(available=3)
    assert checker_waiter(paths.kubeconfig)(lab, scaled_check(0)) is None
    assert {r.method for r in fake_api.requests} == {"GET"}


def test_checker_waiter_says_the_message_and_what_it_found(
    fake_api: FakeApi, paths: LabPaths, lab: checker.Lab
):
    fake_api.objects = web_deployment(available=1)
    why = checker_waiter(paths.kubeconfig)(lab, scaled_check(0))
    assert why is not None
    assert why.startswith("The web Deployment has 3 available replicas.")
    assert "status.availableReplicas" in why


def test_break_node_fault_on_the_simulator_goes_through_kubesims_admin_api(
    host: FakeHost, paths: LabPaths, kubesim_admin
):
    from kubelab.cli import main

    fake, tls = kubesim_admin
    sim_kubeconfig(paths, fake.url, tls)

    assert main(["break", "worker-down"]) == 0

    assert fake.requests == [
        ("POST", "/kubesim/v1/nodes/kubelab-worker2/stop", f"Bearer {tls.token}")
    ]
    assert not [c for c in host.lines() if c.startswith("docker")]  # no docker on the simulator
    assert stopped_nodes(paths) == ["kubelab-worker2"]
