"""docs/instructors.md: every command in it is run by a named test, or says why it cannot be."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "instructors.md"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
TESTED = re.compile(r"#\s*tested:\s*(\S+)::(\w+)\s*$")
NOT_RUN = re.compile(r"#\s*not run here:\s*(\S.*)$")


def commands() -> list[str]:
    return [
        line.strip()
        for block in BLOCK.findall(DOC.read_text())
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_the_doc_has_commands():
    assert len(commands()) >= 10


@pytest.mark.parametrize("line", commands())
def test_each_command_names_its_test_or_why_none(line: str):
    tested, not_run = TESTED.search(line), NOT_RUN.search(line)
    assert tested or not_run, f"no `# tested: FILE::TEST` or `# not run here: why` on: {line}"
    if not_run:
        assert len(not_run.group(1).split()) >= 3, "say why, in words"
        return
    assert tested is not None
    path, name = ROOT / tested.group(1), tested.group(2)
    source = path.read_text()
    assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"{name} is not in {path}"
    argv = line.split("#", 1)[0].split()
    if Path(argv[0]).name == "kubelab":
        verb = argv[1]
        assert f'"{verb}"' in source, f"{path} never runs `kubelab {verb}`"
        flags = [a for a in argv[2:] if a.startswith("--")]
        for flag in flags:
            assert flag in source, f"{path} never passes {flag}"
