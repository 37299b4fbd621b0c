"""polinux/stress and vish/stress stand-ins: their command lines read as the real programs
read them, and their memory and CPU are really used (what limits act on)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from kubesim.standins.stress import (
    GoFlagError,
    GoPanic,
    StressError,
    StressPlan,
    format_duration,
    parse_duration,
    parse_quantity,
    parse_stress,
    parse_vish,
)

MIB = 1 << 20


def test_the_docs_memory_arguments() -> None:
    plan = parse_stress(["--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"])
    assert (plan.vm, plan.vm_bytes, plan.vm_hang, plan.cpu) == (1, 150 * MIB, 1, 0)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-m", "1", "--vm-bytes", "2g"], {"vm": 1, "vm_bytes": 2 << 30}),
        (["-c", "2", "-t", "1m"], {"cpu": 2, "timeout": 60}),
        (["--cpu", "1", "--timeout", "10"], {"cpu": 1, "timeout": 10}),
        (["--vm", "2", "--vm-bytes", "128k", "--vm-keep", "--vm-hang", "0"], {"vm": 2, "vm_bytes": 128 << 10, "vm_keep": True, "vm_hang": 0}),
        (["-q", "-n", "-i", "1"], {"io": 1, "quiet": True, "dry_run": True}),
        (["--vm", "1", "--vm-bytes", "010M"], {"vm_bytes": 8 << 20}),  # sscanf's %lli: octal
        (["--vm", "1", "--vm-hang", "1k"], {"vm_hang": 1024}),  # a size, as stress reads it
        (["-c", "2k"], {"cpu": 2048}),
        ([], {"show": "help"}),
        (["-t", "10s"], {"show": "help"}),  # no hogs: the usage
        (["--help", "--bogus"], {"show": "help"}),
        (["--version"], {"show": "version"}),
    ],
)  # fmt: skip
def test_stress_options(argv: list[str], expected: dict[str, object]) -> None:
    plan = parse_stress(argv)
    assert {key: getattr(plan, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--vm", "1", "--vm-bytes", "150X"], "unrecognized suffix: X"),
        (["--vm", "one"], "unrecognized suffix: e"),
        (["--vm", "m"], "invalid number: m"),
        (["--vm", "0"], "invalid number of vm hogs: 0"),
        (["--cpu", "-2"], "invalid number of cpu hogs: -2"),
        (["-c", "1", "-t", "0"], "invalid timeout value: 0s"),
        (["--vm"], "missing argument to option '--vm'"),
        (["-m", "--vm-bytes", "1M"], "missing argument to option '--vm'"),
        (["--vm=1"], "unrecognized option: --vm=1"),
        (["-m1"], "unrecognized option: -m1"),
        (["--hdd", "1"], "process mode is on this host"),
    ],
)
def test_stress_refuses_what_it_cannot_read(argv: list[str], says: str) -> None:
    with pytest.raises(StressError, match=re.escape(says)):
        parse_stress(argv)


@pytest.mark.parametrize(
    ("text", "value", "canonical"),
    [
        ("150Mi", 150 * MIB, "150Mi"),
        ("10Mi", 10 * MIB, "10Mi"),
        ("1024Mi", 1 << 30, "1Gi"),
        ("4Ki", 4096, "4Ki"),
        ("0", 0, "0"),
        ("1000", 1000, "1k"),
        ("1e3", 1000, "1k"),
        ("150M", 150_000_000, "150M"),
        ("1500", 1500, "1500"),
    ],
)
def test_vish_reads_kubernetes_quantities(text: str, value: int, canonical: str) -> None:
    quantity = parse_quantity(text)
    assert (quantity.value, quantity.text) == (value, canonical)


def test_vish_panics_on_a_quantity_resource_cannot_parse() -> None:
    with pytest.raises(GoPanic, match=r"cannot parse '10x': quantities must match"):
        parse_quantity("10x")


@pytest.mark.parametrize(
    ("text", "nanos", "shown"),
    [("1s", 10**9, "1s"), ("1ms", 10**6, "1ms"), ("1m30s", 90 * 10**9, "1m30s"),
     ("1.5s", 1_500_000_000, "1.5s"), ("0", 0, "0s"), ("2h", 7200 * 10**9, "2h0m0s")],
)  # fmt: skip
def test_vish_reads_and_prints_go_durations(text: str, nanos: int, shown: str) -> None:
    assert parse_duration(text) == nanos
    assert format_duration(nanos) == shown


def test_vish_flags_as_go_reads_them() -> None:
    plan = parse_vish(["-logtostderr", "-cpus", "2", "--mem-total=150Mi", "-mem-alloc-size", "10Mi", "-mem-alloc-sleep", "1s"])  # fmt: skip
    assert (plan.cpus, plan.mem_total.text, plan.mem_alloc_size.value) == (2, "150Mi", 10 * MIB)
    assert plan.mem_alloc_sleep_ns == 10**9
    assert parse_vish([]).mem_alloc_size.text == "4Ki"
    with pytest.raises(GoFlagError, match="flag provided but not defined: -cpu$"):
        parse_vish(["-cpu", "2"])
    with pytest.raises(GoFlagError, match="flag needs an argument: -cpus"):
        parse_vish(["-cpus"])
    with pytest.raises(GoFlagError, match='invalid value "two" for flag -cpus'):
        parse_vish(["-cpus", "two"])


def _rss_mib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) // 1024  # type: ignore[union-attr]


def _until(predicate, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_vm_hog_holds_its_bytes_resident(standin) -> None:  # type: ignore[no-untyped-def]
    running = standin("stress", "stress", "--vm", "1", "--vm-bytes", "64M", "--vm-hang", "0")
    _until(lambda: _rss_mib(running.proc.pid) >= 64)
    assert re.fullmatch(
        r"stress: info: \[\d+\] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n", running.stdout
    )


def test_a_timed_cpu_run_spends_cpu_and_ends_as_stress_does(standin) -> None:  # type: ignore[no-untyped-def]
    running = standin("stress", "stress", "--cpu", "1", "--timeout", "1s")
    assert running.proc.wait(timeout=10) == 0
    assert re.search(r"successful run completed in 1s\n$", running.stdout)


def test_vish_allocates_in_steps_and_logs_as_glog(standin) -> None:  # type: ignore[no-untyped-def]
    args = ["-mem-total", "32Mi", "-mem-alloc-size", "8Mi", "-mem-alloc-sleep", "10ms"]
    running = standin("stress", "vish", "-logtostderr", *args)
    running.wait_for_output('Allocated "32Mi" memory', stream="stderr")
    assert _rss_mib(running.proc.pid) >= 32
    first = running.stderr.splitlines()[0]
    assert re.fullmatch(
        r'I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ main\.go:26\] Allocating "32Mi" memory, in "8Mi" '
        r"chunks, with a 10ms sleep between allocations",
        first,
    ), first


def test_vish_refuses_a_bad_flag_with_go_s_usage(standin) -> None:  # type: ignore[no-untyped-def]
    running = standin("stress", "vish", "-memory", "1Gi")
    assert running.proc.wait(timeout=10) == 2
    assert running.stderr.startswith("flag provided but not defined: -memory\nUsage of /stress:")


def test_stress_with_no_hogs_prints_its_usage(standin) -> None:  # type: ignore[no-untyped-def]
    running = standin("stress", "stress")
    assert running.proc.wait(timeout=10) == 0
    assert "Usage: stress [OPTION [ARG]] ..." in running.stdout
    assert StressPlan().vm_bytes == 256 * MIB  # --vm-bytes' default


def test_a_dry_run_ends_as_a_successful_run(standin) -> None:  # type: ignore[no-untyped-def]
    running = standin("stress", "stress", "-n", "--vm", "1")
    assert running.proc.wait(timeout=10) == 0
    assert running.stdout.endswith("successful run completed in 0s\n"), running.stdout


def test_a_refusal_fails_the_run_in_stress_s_words(standin) -> None:  # type: ignore[no-untyped-def]
    running = standin("stress", "stress", "--vm", "0")
    assert running.proc.wait(timeout=10) == 1
    assert re.fullmatch(r"stress: FAIL: \[\d+\] invalid number of vm hogs: 0\n", running.stderr)
