"""`kubectl cp` both ways with the real kubectl: it runs `tar` in the container through exec
(stdin closed with v5's close message on the way in, tar's output streamed on the way out),
so files and folders arrive byte for byte."""

from __future__ import annotations

import os
from pathlib import Path

from scenario_kubectl import Lab


def test_cp_copies_a_folder_into_a_pod_and_back(lab: Lab, tmp_path: Path) -> None:
    lab.kubectl("run", "box", "--image=busybox:1.36", "--", "sleep", "3600")
    lab.kubectl("wait", "--for=condition=Ready", "pod/box", f"--timeout={lab.wall(60):.0f}s")
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "notes.txt").write_text("one\n")
    blob = os.urandom(700_000)
    (source / "sub" / "model.bin").write_bytes(blob)

    lab.kubectl("cp", str(source), "box:copied")
    inside = lab.kubectl("exec", "box", "--", "find", "copied", "-type", "f").stdout.split()
    assert sorted(inside) == ["copied/notes.txt", "copied/sub/model.bin"]
    assert lab.kubectl("exec", "box", "--", "cat", "copied/notes.txt").stdout == "one\n"

    back = tmp_path / "back"
    lab.kubectl("cp", "box:copied", str(back))
    assert (back / "notes.txt").read_text() == "one\n"
    assert (back / "sub" / "model.bin").read_bytes() == blob


def test_cp_copies_a_single_file_written_in_the_pod(lab: Lab, tmp_path: Path) -> None:
    lab.kubectl("run", "box", "--image=busybox:1.36", "--", "sleep", "3600")
    lab.kubectl("wait", "--for=condition=Ready", "pod/box", f"--timeout={lab.wall(60):.0f}s")
    lab.kubectl("exec", "box", "--", "sh", "-c", "seq 1 20000 > numbers.txt")
    target = tmp_path / "numbers.txt"
    lab.kubectl("cp", "box:numbers.txt", str(target))
    assert target.read_text().split() == [str(n) for n in range(1, 20001)]
