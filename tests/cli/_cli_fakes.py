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

from kubelab._procs import Result

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
        return 4242

    def foreground(self, argv, *, env=None, cwd=None) -> int:
        self.calls.append(Call("foreground", list(argv), dict(env) if env is not None else None))
        return 0

    def which(self, name: str) -> str | None:
        return self.binaries.get(name)

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
