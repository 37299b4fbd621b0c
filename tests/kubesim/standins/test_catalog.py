"""The catalog's stand-in entries: the docs' images pull, their programs and files exist,
an unknown repository is refused saying kubesim has no stand-in, a bad tag stays `not found`."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubesim.core.data import data_file
from kubesim.kubelet import PullError, catalog, pull

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "k8s-examples"
ENTRIES = yaml.safe_load(data_file("images.yaml").read_text())


def _docs_images() -> list[str]:
    found = set()
    for path in sorted(EXAMPLES.glob("*.yaml")):
        found.update(re.findall(r"""image: *["']?([^\s"',]+)""", path.read_text()))
    return sorted(found)


# the docs' images kubesim still has no stand-in for, and why
NOT_EMULATED = {
    "k8s.gcr.io/fluentd-elasticsearch:1.20": "a log shipper that needs Elasticsearch",
}


@pytest.mark.parametrize("image", _docs_images())
def test_every_image_of_the_docs_examples_pulls(image):
    if image in NOT_EMULATED:
        with pytest.raises(PullError, match="kubesim has no stand-in"):
            pull(image)
        return
    assert pull(image).command(None, None)


@pytest.mark.parametrize(
    "image",
    ["nginx", "nginx:1.14.2", "nginx:1.16.1", "nginx:1.27", "nginx:stable", "nginx:alpine",
     "registry.k8s.io/hpa-example", "registry.k8s.io/e2e-test-images/agnhost:2.40",
     "registry.k8s.io/pause:3.1", "registry.k8s.io/pause:3.10", "python:3.12", "python:3.11-slim",
     "curlimages/curl", "registry.k8s.io/goproxy:0.1", "redis", "redis:7", "perl:5.34.0",
     "k8s.gcr.io/liveness", "k8s.gcr.io/busybox", "registry.k8s.io/serve_hostname",
     "registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3", "registry.k8s.io/nginx-slim:0.21",
     "polinux/stress", "vish/stress", "gcr.io/google-samples/kubernetes-bootcamp:v1",
     "jocatalin/kubernetes-bootcamp:v2", "registry.k8s.io/echoserver:1.10",
     "k8s.gcr.io/echoserver:1.4", "gcr.io/google-samples/hello-app:1.0",
     "us-docker.pkg.dev/google-samples/containers/gke/hello-app:2.0", "docker.io/redis:6.0.5",
     "redis:5.0.4", "k8s.gcr.io/serve_hostname",
     "us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower:v2",
     "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5",
     "docker.io/corelab/gb-frontend:v5", "registry.k8s.io/etcd:3.5.1-0"],
)  # fmt: skip
def test_the_images_tutorials_use_pull(image):
    pull(image)


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if "kubesim.standins" in " ".join(e.get("entrypoint") or [])],
    ids=lambda e: e["repository"],
)  # fmt: skip
def test_each_stand_in_entry_names_a_module_and_files_that_exist(entry):
    argv = entry["entrypoint"]
    module = argv[argv.index("-m") + 1]
    assert importlib.util.find_spec(module) is not None, module
    for target, resource in (entry.get("files") or {}).items():
        assert target.startswith("/"), "stand-ins' files are container paths"
        package, _, sub = resource.partition("/")
        spec = importlib.util.find_spec(package)
        assert spec and spec.submodule_search_locations
        assert (Path(next(iter(spec.submodule_search_locations))) / sub).exists(), resource


def test_a_repository_without_a_stand_in_says_so_and_where_the_catalog_is():
    with pytest.raises(PullError) as err:
        pull("mysql:8.0")
    assert str(err.value) == (
        'kubesim has no stand-in for image "docker.io/library/mysql:8.0": the simulator runs '
        "only the images in its catalog (kubesim/images.yaml; `python -m kubesim images` lists "
        "them), and docker.io/library/mysql is not one of them. Check the name for a typo, or "
        "run this image on a real cluster (kind)"
    )


def test_a_known_repository_with_a_missing_tag_keeps_the_registry_wording():
    with pytest.raises(PullError) as err:
        pull("nginx:9.9.9")
    assert str(err.value) == (
        'failed to pull and unpack image "docker.io/library/nginx:9.9.9": failed to resolve '
        'reference "docker.io/library/nginx:9.9.9": docker.io/library/nginx:9.9.9: not found'
    )


def test_python_m_kubesim_images_lists_the_catalog():
    done = subprocess.run(
        [sys.executable, "-m", "kubesim", "images"], capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert "registry.k8s.io/hpa-example: latest" in lines
    assert len(lines) == len(catalog())


def test_the_python_image_runs_python_c_and_its_modules():
    image = pull("python:3.12")
    argv = image.command(
        None, ["python", "-c", "import http.server, sys; print(sys.version_info[0])"]
    )
    done = subprocess.run(image.host_command(argv), capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "3\n")
    assert image.command(None, None)[0] == "python3"  # its CMD, found on the image's PATH
    assert image.host_command(["python3"]) == [sys.executable]  # process mode: kubesim's own


@pytest.mark.parametrize("name", ["nginx", "curl"])
def test_the_packaged_image_files_are_installed_with_the_package(name):
    """Package data (pyproject's package-data): nginx's conf and html, curl's bin/curl."""
    spec = importlib.util.find_spec(f"kubesim.standins.{name}")
    assert spec and spec.submodule_search_locations
    files = Path(next(iter(spec.submodule_search_locations))) / "files"
    found = sorted(p.relative_to(files).as_posix() for p in files.rglob("*") if p.is_file())
    assert (
        found
        == {
            "nginx": [
                "etc/nginx/conf.d/default.conf",
                "etc/nginx/mime.types",
                "etc/nginx/nginx.conf",
                "sbin/nginx",
                "usr/share/nginx/html/50x.html",
                "usr/share/nginx/html/index.html",
            ],
            "curl": ["bin/curl"],
        }[name]
    )


@pytest.mark.parametrize(
    "image, command, args, runs",
    [
        pytest.param("registry.k8s.io/e2e-test-images/agnhost:2.39",
                     ["/agnhost", "netexec", "--http-port=8080"], None,
                     ["kubesim.standins.agnhost", "netexec", "--http-port=8080"], id="hello-node"),
        pytest.param("nginx", ["nginx", "-g", "daemon off;"], None,
                     ["kubesim.standins.nginx", "nginx", "-g", "daemon off;"], id="nginx-command"),
        pytest.param("redis", ["redis-server"], ["--port", "7000"],
                     ["kubesim.standins.redis", "redis-server", "--port", "7000"], id="redis-args"),
        pytest.param("curlimages/curl", ["curl", "-s", "http://web"], None,
                     ["kubesim.standins.curl", "curl", "-s", "http://web"], id="curl-command"),
    ],
)  # fmt: skip
def test_a_command_naming_the_real_program_runs_the_stand_in(image, command, args, runs):
    argv = pull(image).command(command, args)
    assert argv[:2] == ["python3", "-m"] and argv[2:] == runs


def test_a_command_naming_another_program_runs_it():
    assert pull("nginx").command(["sh", "-c", "sleep 1"], None) == ["sh", "-c", "sleep 1"]
