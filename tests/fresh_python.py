"""A Python process of its own, for a test that must watch a program start from nothing.

Whether `import kubelab.notebook` pulls in the official client, or what a workflow file looks
like to check-jsonschema, only a process that has imported nothing yet can tell. These
processes leave out jsonschema's optional `rfc3987_syntax`, as `kubelab` leaves it out of its
own process (kubelab/cli.py) and the suite's workers leave it out of theirs
(tests/conftest.py): it compiles a Lark grammar at import, 2.3 s of CPU for the `iri` string
format, which no schema here uses and no test asks about. Eight such processes were an
eighth of the unit tier's CPU.
"""

from __future__ import annotations

import subprocess
import sys

WITHOUT_RFC3987 = "import sys; sys.modules.setdefault('rfc3987_syntax', None)\n"


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -c CODE ARGS...` in the suite's interpreter, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_RFC3987 + code, *args], capture_output=True, text=True
    )


def python_output(code: str) -> str:
    """What `code` prints, stripped; a failed run fails the test with its stderr."""
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def check_workflows(*files: str) -> subprocess.CompletedProcess[str]:
    """`check-jsonschema --builtin-schema vendor.github-workflows FILES`, as .ci/run checks
    them: the tool's own entry point, started without the grammar."""
    return run_python(
        "from check_jsonschema import main; sys.argv[0] = 'check-jsonschema'; sys.exit(main())",
        "--builtin-schema", "vendor.github-workflows", *files,
    )  # fmt: skip
