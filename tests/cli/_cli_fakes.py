"""A fake machine at kubelab's one subprocess boundary (`kubelab._procs`), and a tmp lab home.

`FakeHost` records every process kubelab would run (argv, env) and answers from a script:
rules keyed by the start of the command line, with the venv's kubectl shortened to `kubectl`
and the lab's `--kubeconfig`/`--cache-dir` flags dropped so the rules read like the course.
Unscripted commands succeed with no output. Nothing real runs, nothing sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kubelab._procs import Process, Result, Stopped

Answer = Result | Callable[[Sequence[str]], Result]


def short(argv: Sequence[str]) -> list[str]:
    """The command as a person would type it: `kubectl get nodes`, not the venv path."""
    out = list(argv)
    if out and Path(out[0]).name == "kubectl":
        out[0] = "kubectl"
        if out[1:2] == ["--kubeconfig"] and out[3:4] == ["--cache-dir"]:
            out = ["kubectl", *out[5:]]
    return out


@dataclass
class Call:
    kind: str  # run | spawn | foreground
    argv: list[str]
    env: dict[str, str] | None
    cwd: Path | None = None

    @property
    def line(self) -> str:
        return " ".join(short(self.argv))


KIND_VERSION_SAID = "kind v0.33.0 go1.25.4 linux/amd64\n"


@dataclass
class FakeHost:
    rules: dict[str, Answer] = field(
        default_factory=lambda: {"kind version": Result((), 0, KIND_VERSION_SAID, "")}
    )
    binaries: dict[str, str] = field(
        default_factory=lambda: {"docker": "/usr/bin/docker", "kind": "/usr/local/bin/kind"}
    )
    busy_ports: set[int] = field(default_factory=set)
    memory: int | None = 16 * 1024**3
    calls: list[Call] = field(default_factory=list)
    clock: float = 0.0
    on_spawn: Callable[[Sequence[str]], None] | None = None
    # live processes by pid; `spawn` adds one, `terminate` ends it (stubborn ones need SIGKILL)
    processes: dict[int, Process] = field(default_factory=dict)
    stubborn: set[int] = field(default_factory=set)
    next_pid: int = 4242

    def answer(self, argv: Sequence[str]) -> Result:
        line = " ".join(short(argv))
        keys = [k for k in self.rules if line == k or line.startswith(k + " ")]
        if not keys:
            return Result(tuple(argv), 0, "", "")
        found = self.rules[max(keys, key=len)]
        return found(argv) if callable(found) else Result(tuple(argv), *_fields(found))

    def run(self, argv, *, env=None, cwd=None, timeout=None) -> Result:
        self.calls.append(
            Call("run", list(argv), dict(env) if env is not None else None, cwd and Path(cwd))
        )
        return self.answer(argv)

    def spawn(self, argv, *, env=None, log: Path) -> int:
        self.calls.append(Call("spawn", list(argv), dict(env) if env is not None else None))
        if self.on_spawn:
            self.on_spawn(argv)
        pid = self.next_pid
        self.processes[pid] = Process(pid=pid, started="1000", argv=tuple(argv), pgid=pid, sid=pid)
        return pid

    def foreground(self, argv, *, env=None, cwd=None) -> int:
        self.calls.append(Call("foreground", list(argv), dict(env) if env is not None else None))
        return 0

    def which(self, name: str) -> str | None:
        return self.binaries.get(name)

    def process(self, pid: int) -> Process | None:
        return self.processes.get(pid)

    def terminate(self, target: Process, *, grace: float) -> Stopped:
        self.calls.append(Call("terminate", ["terminate", str(target.pid)], None))
        self.processes.pop(target.pid, None)
        if target.pid in self.stubborn:
            self.clock += grace
            return Stopped(target.pid, graceful=False, seconds=grace, grace=grace, killed=3)
        return Stopped(target.pid, graceful=True, seconds=0.5, grace=grace)

    def port_free(self, port: int) -> bool:
        return port not in self.busy_ports

    def free_memory(self) -> int | None:
        return self.memory

    def sleep(self, seconds: float) -> None:
        self.clock += seconds

    def monotonic(self) -> float:
        return self.clock

    # helpers for assertions
    def lines(self, kind: str = "run") -> list[str]:
        return [c.line for c in self.calls if c.kind == kind]


def _fields(result: Result) -> tuple[int, str, str]:
    return result.returncode, result.stdout, result.stderr


def ok(stdout: str = "") -> Result:
    return Result((), 0, stdout, "")


def fail(stderr: str = "boom", code: int = 1) -> Result:
    return Result((), code, "", stderr)


def write_kubeconfig(path: Path, context: str, server: str, namespace: str | None = None) -> Path:
    ctx: dict = {"cluster": "c", "user": "u"}
    if namespace:
        ctx["namespace"] = namespace
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": context,
                "contexts": [{"name": context, "context": ctx}],
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
            }
        )
    )
    return path


def nodes_json(images_per_node: Mapping[str, list[str]]) -> str:
    return json.dumps(
        {
            "items": [
                {
                    "metadata": {"name": name},
                    "status": {"images": [{"names": [n]} for n in images]},
                }
                for name, images in images_per_node.items()
            ]
        }
    )


# --- a fake Docker image store and kind, for offline (workshop) tests ------------------

OFFLINE = (
    'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup '
    "registry-1.docker.io: no such host"
)
DEFAULT_BASE = "python:3.12-slim"


@dataclass
class FakeDocker:
    """The host's Docker images as a set, and every command that reads or writes them.

    Offline, anything that would reach a registry fails as Docker and pip do without a
    network: `docker pull`, `docker build` on a base it lacks, `kind create cluster` with a
    node image it lacks (kind pulls it), `pip download`. `docker image save` writes a real
    file (the names, as JSON) that `docker load -i` reads back.
    """

    host: FakeHost
    online: bool = True
    images: set[str] = field(default_factory=set)
    pulled: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        import sys

        rules = self.host.rules
        rules["docker pull"] = self.pull
        rules["docker tag"] = self.tag
        rules["docker image save"] = self.save
        rules["docker load"] = self.load
        rules["docker image inspect"] = self.inspect
        rules["docker build"] = self.build
        rules["kind load docker-image"] = self.kind_load
        rules[f"{sys.executable} -m pip download"] = self.pip_download

    def pull(self, argv: Sequence[str]) -> Result:
        if not self.online:
            return Result(tuple(argv), 1, "", OFFLINE)
        self.pulled.append(argv[-1])
        self.images.add(argv[-1])
        return Result(tuple(argv), 0, "", "")

    def tag(self, argv: Sequence[str]) -> Result:
        source, target = argv[-2:]
        if source not in self.images:
            return Result(
                tuple(argv), 1, "", f"Error response from daemon: No such image: {source}"
            )
        self.images.add(target)
        return Result(tuple(argv), 0, "", "")

    def save(self, argv: Sequence[str]) -> Result:
        out = Path(argv[list(argv).index("-o") + 1])
        names = list(argv[list(argv).index("-o") + 2 :])
        lacking = [n for n in names if n not in self.images]
        if lacking:
            return Result(
                tuple(argv), 1, "", f"Error response from daemon: No such image: {lacking[0]}"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(names))
        return Result(tuple(argv), 0, "", "")

    def load(self, argv: Sequence[str]) -> Result:
        names = json.loads(Path(argv[-1]).read_text())
        self.images.update(names)
        return Result(tuple(argv), 0, "".join(f"Loaded image: {n}\n" for n in names), "")

    def inspect(self, argv: Sequence[str]) -> Result:
        ok_ = argv[-1] in self.images
        return Result(
            tuple(argv),
            0 if ok_ else 1,
            "[{}]" if ok_ else "[]",
            "" if ok_ else f"Error: No such image: {argv[-1]}",
        )

    def build(self, argv: Sequence[str]) -> Result:
        args = list(argv)
        base = DEFAULT_BASE
        for i, word in enumerate(args):
            if word == "--build-arg" and args[i + 1].startswith("BASE_IMAGE="):
                base = args[i + 1].split("=", 1)[1]
        if base not in self.images:
            if not self.online:
                return Result(
                    tuple(argv),
                    1,
                    "",
                    f"ERROR: failed to resolve source metadata for docker.io/library/{base}: {OFFLINE}",
                )
            self.images.add(base)
            self.pulled.append(base)
        self.images.update(args[i + 1] for i, word in enumerate(args) if word == "-t")
        return Result(tuple(argv), 0, "", "")

    def kind_load(self, argv: Sequence[str]) -> Result:
        names = list(argv[3:-2])
        lacking = [n for n in names if n not in self.images]
        if lacking:
            return Result(tuple(argv), 1, "", f'ERROR: image: "{lacking[0]}" not present locally')
        return Result(tuple(argv), 0, "", "")

    def kind_create(self, kubeconfig: Path) -> Callable[[Sequence[str]], Result]:
        """`kind create cluster --image X`: pulls X when Docker lacks it, writes the kubeconfig."""

        def create(argv: Sequence[str]) -> Result:
            image = argv[list(argv).index("--image") + 1]
            if image not in self.images:
                if not self.online:
                    return Result(
                        tuple(argv),
                        1,
                        "",
                        f'ERROR: failed to create cluster: failed to pull image "{image}": {OFFLINE}',
                    )
                self.images.add(image)
                self.pulled.append(image)
            write_kubeconfig(kubeconfig, "kind-kubelab", "https://127.0.0.1:40123")
            return Result(tuple(argv), 0, "", "")

        return create

    def pip_download(self, argv: Sequence[str]) -> Result:
        if not self.online:
            return Result(
                tuple(argv), 1, "", "ERROR: Could not find a version that satisfies the requirement"
            )
        dest = Path(argv[list(argv).index("--dest") + 1])
        dest.mkdir(parents=True, exist_ok=True)
        for req in argv[list(argv).index("--dest") + 2 :]:
            name = req.split(">")[0].split("<")[0].split("=")[0].split("[")[0]
            (dest / f"{name}-1.0-py3-none-any.whl").write_text("wheel")
        return Result(tuple(argv), 0, "", "")
