"""Run All in the learner edition, every lab, on a fresh simulated cluster: the points it earns.

    .venv/bin/python bench/run_all_learner_edition.py [--keep-checks]

Builds the learner edition (`kubelab assignment build`), brings up a kubesim in a temporary
KUBELAB_HOME, runs each learner notebook top to bottom under nbval (without its `.check()`
cells unless --keep-checks: they only read, and a failing one waits out its `within`), then
`kubelab grade --no-wait`. Prints the wall time per notebook and the points per exercise, and
exits 1 if Run All earned anything. tests/classroom/test_run_all_scores_zero.py runs the
same per lab in CI, lab 03 (about six minutes of waiting) aside.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def main(argv: list[str]) -> int:
    keep_checks = "--keep-checks" in argv
    with tempfile.TemporaryDirectory(prefix="run-all-") as tmp:
        edition, home = Path(tmp) / "course", Path(tmp) / "home" / ".kubelab"
        env = {
            **os.environ,
            "KUBELAB_HOME": str(home),
            "KUBECONFIG": str(home / "kubeconfig"),
            "KUBELAB_LABS": str(edition / "labs"),
            "KUBESIM_TIME_SCALE": "4",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(home.parent),
        }

        def run(
            *args: str, cwd: Path = ROOT, check: bool = False, labs: bool = True
        ) -> subprocess.CompletedProcess[str]:
            # the build reads the course's own labs; KUBELAB_LABS names the edition it writes
            environ = env if labs else {k: v for k, v in env.items() if k != "KUBELAB_LABS"}
            done = subprocess.run(
                [str(BIN / args[0]), *args[1:]],
                cwd=cwd,
                env=environ,
                capture_output=True,
                text=True,
            )
            if check and done.returncode != 0:
                sys.exit(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
            return done

        run(
            "kubelab",
            "assignment",
            "build",
            str(edition),
            "--backend",
            "sim",
            check=True,
            labs=False,
        )
        run("kubelab", "up", "--backend", "sim", cwd=edition, check=True)
        try:
            for notebook in sorted((edition / "notebooks").glob("[0-9][0-9]-*.ipynb")):
                data = json.loads(notebook.read_text())
                if not keep_checks:
                    data["cells"] = [
                        c
                        for c in data["cells"]
                        if not (c["cell_type"] == "code" and ".check()" in "".join(c["source"]))
                    ]
                notebook.write_text(json.dumps(data))
                started = time.monotonic()
                done = run(
                    "python", "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q",
                    "--nbval-cell-timeout=600", notebook.name, cwd=notebook.parent,
                )  # fmt: skip
                verdict = "ran" if done.returncode == 0 else "a cell raised"
                print(f"{notebook.stem}: {verdict} in {time.monotonic() - started:.0f} s")
            run("kubelab", "grade", "--no-wait", "--json", str(edition / "grade.json"), cwd=edition)
            report = json.loads((edition / "grade.json").read_text())
        finally:
            run("kubelab", "down", cwd=edition)
    earned = 0
    for lab in report["labs"]:
        points = {e["id"]: e["points"] for e in lab["exercises"]}
        earned += sum(points.values())
        print(f"{lab['id']}: {points}")
    print(f"Run All earned {earned} of {report['maxPoints']} points")
    return 1 if earned else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
