"""docker.io/polinux/stress and docker.io/vish/stress: the load of the docs' resource tasks.

"Assign Memory Resources to Containers and Pods" runs `stress --vm 1 --vm-bytes 150M
--vm-hang 1` (polinux/stress: Amos Waterland's stress 1.0.4) under a 200Mi limit, then 250M
under a 100Mi limit, which the kernel must OOM-kill; "Assign CPU Resources" runs
vish/stress with `-cpus 2` under a limit of one CPU, which CFS must throttle. The costs are
real, as in `inference._costs`: pages written so the kernel counts them, CPU spent in
threads that release the GIL (hashing for stress's user time, reads of /dev/zero for
vish/stress's system time, as its Go loop copies /dev/zero to nowhere).

One process, workers as threads. The real stress forks a process per hog; under cgroup v2
the kubelet sets `memory.oom.group`, so an OOM kill takes the whole container (exit 137,
OOMKilled) before stress can report its worker's signal. kubesim's cgroups are v1, where
the kernel would kill only the forked worker and stress would exit 1; as threads, the one
process is what the kernel kills, which is what a learner on kind sees.

    stress [-c N] [-i N] [-m N [--vm-bytes B] [--vm-stride B] [--vm-hang N] [--vm-keep]]
           [-t SECS] [--backoff USECS] [-v] [-q] [-n]
        options matched whole, in order, as stress's own loop does; sizes and counts take
        b, k, m, g (powers of 1024), times s, m, h, d, y; its refusals in its words, without
        the source line stress prints with them (`FAIL: [1] (LINE)`); no hogs shows the
        usage; `-v` adds none of stress's debug lines. `-d/--hdd` (files written into the
        container) is refused: in kubesim's process mode the working directory is on this
        host.
    vish [-cpus N] [-mem-total Q] [-mem-alloc-size Q] [-mem-alloc-sleep D] [glog flags]
        Q are Kubernetes quantities (150Mi), D Go durations (1s); logs in glog's format.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kubesim.standins._program import err, exit_now, out

PAGE = 4096
_BLOCK = bytes(range(256)) * 256  # 64 KiB: hashlib releases the GIL above 2 KiB
_TIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "y": 31536000}
_SIZE_SHIFTS = {"b": 0, "k": 10, "m": 20, "g": 30}

USAGE = """\
`stress' imposes certain types of compute stress on your system

Usage: stress [OPTION [ARG]] ...
 -?, --help         show this help statement
     --version      show version statement
 -v, --verbose      be verbose
 -q, --quiet        be quiet
 -n, --dry-run      show what would have been done
 -t, --timeout N    timeout after N seconds
     --backoff N    wait factor of N microseconds before work starts
 -c, --cpu N        spawn N workers spinning on sqrt()
 -i, --io N         spawn N workers spinning on sync()
 -m, --vm N         spawn N workers spinning on malloc()/free()
     --vm-bytes B   malloc B bytes per vm worker (default is 256MB)
     --vm-stride B  touch a byte every B bytes (default is 4096)
     --vm-hang N    sleep N secs before free (default none, 0 is inf)
     --vm-keep      redirty memory instead of freeing and reallocating
 -d, --hdd N        spawn N workers spinning on write()/unlink()
     --hdd-bytes B  write B bytes per hdd worker (default is 1GB)

Example: stress --cpu 8 --io 4 --vm 2 --vm-bytes 128M --timeout 10s

Note: Numbers may be suffixed with s,m,h,d,y (time) or B,K,M,G (size)."""


class StressError(Exception):
    """stress refuses its arguments; the text follows `stress: FAIL: [pid]`."""


@dataclass(frozen=True)
class StressPlan:
    """What a stress command line asks for."""

    cpu: int = 0
    io: int = 0
    vm: int = 0
    vm_bytes: int = 256 << 20
    vm_stride: int = PAGE
    vm_hang: float = -1  # seconds; -1 frees at once, 0 holds for ever
    vm_keep: bool = False
    timeout: float = 0  # 0: run until killed
    backoff_us: int = 3000
    quiet: bool = False
    dry_run: bool = False
    show: str = ""  # "help" | "version": print it and exit 0


_C_INTEGER = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def _scan(text: str) -> int | None:
    """C's `sscanf("%lli")`: the leading integer (hex with 0x, octal with 0), or None."""
    match = _C_INTEGER.match(text)
    if not match:
        return None
    sign, digits = match.groups()
    value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 8 if digits.startswith("0") else 10)  # fmt: skip
    return -value if sign == "-" else value


def _number(text: str, units: dict[str, int], *, shift: bool) -> int:
    """stress's atoll_b (sizes: a b/k/m/g suffix shifts by 0/10/20/30 bits) and atoll_s
    (times: an s/m/h/d/y suffix multiplies); the number before it as sscanf reads it."""
    if not text:
        raise StressError("invalid string")
    suffix = text[-1]
    factor = units.get(suffix.lower())
    if factor is None and not suffix.isdigit():
        raise StressError(f"unrecognized suffix: {suffix}")
    value = _scan(text)
    if value is None:
        raise StressError(f"invalid number: {text}")
    if factor is None:
        return value
    return value << factor if shift else value * factor


def parse_size(text: str) -> int:
    return _number(text, _SIZE_SHIFTS, shift=True)


# option -> (the name its errors use, the plan field, how it is read, the refusal when bad)
_VALUED: dict[str, tuple[str, str, str, str]] = {
    "--timeout": ("--timeout", "timeout", "time", "invalid timeout value: {}s"),
    "-t": ("--timeout", "timeout", "time", "invalid timeout value: {}s"),
    "--cpu": ("--cpu", "cpu", "count", "invalid number of cpu hogs: {}"),
    "-c": ("--cpu", "cpu", "count", "invalid number of cpu hogs: {}"),
    "--io": ("--io", "io", "count", "invalid number of io hogs: {}"),
    "-i": ("--io", "io", "count", "invalid number of io hogs: {}"),
    "--vm": ("--vm", "vm", "count", "invalid number of vm hogs: {}"),
    "-m": ("--vm", "vm", "count", "invalid number of vm hogs: {}"),
    "--vm-bytes": ("--vm-bytes", "vm_bytes", "count", "invalid vm byte value: {}"),
    "--vm-stride": ("--vm-stride", "vm_stride", "count", "invalid stride value: {}"),
    "--vm-hang": ("--vm-hang", "vm_hang", "hang", "invalid value: {}"),
    "--hdd": ("--hdd", "hdd", "count", "invalid number of hdd hogs: {}"),
    "-d": ("--hdd", "hdd", "count", "invalid number of hdd hogs: {}"),
    "--hdd-bytes": ("--hdd-bytes", "hdd_bytes", "count", "invalid hdd byte value: {}"),
}


def parse_stress(argv: list[str]) -> StressPlan:
    """stress's own option loop: each argument matched whole (no `--vm=1`, no `-m1`), in
    order, the first problem ending the run; a value must follow its option (a negative
    number may); no hogs at all shows the usage."""
    values: dict[str, int] = {}
    flags: set[str] = set()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--help", "-?"):
            return StressPlan(show="help")
        if arg == "--version":
            return StressPlan(show="version")
        if arg in ("--verbose", "-v", "--quiet", "-q", "--dry-run", "-n", "--vm-keep"):
            flags.add({"-v": "--verbose", "-q": "--quiet", "-n": "--dry-run"}.get(arg, arg))
        elif arg == "--backoff":
            i += 1
            value = _option_value(argv, i, "--backoff")
            backoff = _scan(value)
            if backoff is None:
                raise StressError(f"invalid number: {value}")
            if backoff < 0:
                raise StressError(f"invalid backoff factor: {backoff}")
            values["backoff"] = backoff
        elif arg in _VALUED:
            name, key, kind, refusal = _VALUED[arg]
            i += 1
            value = _option_value(argv, i, name)
            number = _number(value, _TIME_UNITS, shift=False) if kind == "time" else parse_size(value)  # fmt: skip
            if number < 0 or (number == 0 and kind != "hang"):
                raise StressError(refusal.format(number))
            values[key] = number
        else:
            raise StressError(f"unrecognized option: {arg}")
        i += 1
    if values.get("hdd"):
        raise StressError(
            "hdd hogs write files into the container's working directory, which in "
            "kubesim's process mode is on this host: kubesim's stand-in does not run them"
        )
    if not (values.get("cpu") or values.get("io") or values.get("vm")):
        return StressPlan(show="help")
    return StressPlan(
        cpu=values.get("cpu", 0),
        io=values.get("io", 0),
        vm=values.get("vm", 0),
        vm_bytes=values.get("vm_bytes", 256 << 20),
        vm_stride=values.get("vm_stride", PAGE),
        vm_hang=float(values.get("vm_hang", -1)),
        vm_keep="--vm-keep" in flags,
        timeout=float(values.get("timeout", 0)),
        backoff_us=values.get("backoff", 3000),
        quiet="--quiet" in flags,
        dry_run="--dry-run" in flags,
    )


def _option_value(argv: list[str], i: int, name: str) -> str:
    """assert_arg: the next argument, unless there is none or it is another option."""
    if i >= len(argv) or (argv[i].startswith("-") and not argv[i][1:2].isdigit()):
        raise StressError(f"missing argument to option '{name}'")
    return argv[i]


def burn(stop: threading.Event) -> None:
    """A cpu hog: CPU in this thread until stopped (user time, as stress's sqrt loop)."""
    digest = hashlib.sha256()
    while not stop.is_set():
        digest.update(_BLOCK)


def sync_loop(stop: threading.Event) -> None:
    """An io hog: sync() in a loop."""
    while not stop.is_set():
        os.sync()


def dirty(buffer: bytearray, stride: int) -> None:
    """Write a byte every `stride` bytes, so each page is resident (copy on write)."""
    buffer[::stride] = b"Z" * len(range(0, len(buffer), stride))


def hog_memory(plan: StressPlan, stop: threading.Event) -> None:
    """A vm hog: allocate, write, hold for --vm-hang, then free (or keep) and again."""
    buffer: bytearray | None = None
    while not stop.is_set():
        if buffer is None or not plan.vm_keep:
            buffer = bytearray(plan.vm_bytes)
        dirty(buffer, plan.vm_stride)
        if plan.vm_hang == 0:
            stop.wait()
            return
        if plan.vm_hang > 0:
            stop.wait(plan.vm_hang)
        if not plan.vm_keep:
            buffer = None


def run_stress(plan: StressPlan, now: Callable[[], float] = time.monotonic) -> int:
    pid = os.getpid()
    if plan.show == "help":
        out(USAGE)
        return 0
    if plan.show == "version":
        out("stress 1.0.4")
        return 0
    if not plan.quiet:
        out(
            f"stress: info: [{pid}] dispatching hogs: {plan.cpu} cpu, {plan.io} io, {plan.vm} vm, 0 hdd"
        )
    if plan.dry_run:  # the workers exit at once
        if not plan.quiet:
            out(f"stress: info: [{pid}] successful run completed in 0s")
        return 0
    stop = threading.Event()
    began = now()
    workers = [lambda: burn(stop)] * plan.cpu + [lambda: sync_loop(stop)] * plan.io
    workers += [lambda: hog_memory(plan, stop)] * plan.vm
    time.sleep(plan.backoff_us * len(workers) / 1e6)
    for work in workers:
        threading.Thread(target=work, daemon=True).start()
    stop.wait(plan.timeout if plan.timeout > 0 else None)
    stop.set()
    if not plan.quiet:
        out(f"stress: info: [{pid}] successful run completed in {round(now() - began)}s")
    return 0


# vish/stress: flags of Go's flag package, quantities of Kubernetes, durations of Go

_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_BINARY = [("Ei", 1 << 60), ("Pi", 1 << 50), ("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)]  # fmt: skip
_DECIMAL = [("E", 10**18), ("P", 10**15), ("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)]
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_NANOS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}  # fmt: skip


class GoFlagError(Exception):
    """A flag Go's flag package refuses: its message, then the usage, exit 2."""


class GoPanic(Exception):
    """resource.MustParse's panic: `panic: <message>`, exit 2."""


@dataclass(frozen=True)
class Quantity:
    value: int  # bytes, rounded up as Quantity.Value() does
    text: str  # Quantity.String(): the canonical form


def parse_quantity(text: str) -> Quantity:
    """A Kubernetes quantity as resource.MustParse reads it, for whole values."""
    match = _QUANTITY.match(text.strip())
    suffix = match.group(2) if match else ""
    scale = dict(_BINARY + _DECIMAL + [("", 1)]).get(suffix)
    if scale is None and re.fullmatch(r"[eE][-+]?\d+", suffix):
        scale = 10 ** int(suffix[1:])  # 1e3
    if match is None or scale is None:
        raise GoPanic(
            f"cannot parse '{text}': quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        )
    value = math.ceil(float(match.group(1)) * scale)
    family = _BINARY if suffix.endswith("i") else _DECIMAL
    for name, size in family:
        if value and value % size == 0:
            return Quantity(value, f"{value // size}{name}")
    return Quantity(value, str(value))


def parse_duration(text: str) -> int:
    """A Go duration (`1s`, `10ms`, `1m30s`) in nanoseconds."""
    if text in ("0", "+0", "-0"):
        return 0
    if not text or _DURATION.sub("", text) != "" or not _DURATION.match(text):
        raise GoFlagError(f'invalid value "{text}" for flag -mem-alloc-sleep: parse error')
    return sum(round(float(n) * _NANOS[unit]) for n, unit in _DURATION.findall(text))


def format_duration(nanos: int) -> str:
    """time.Duration's String() for the whole values a flag gives: 1s, 1ms, 1m30s, 0s."""
    if nanos == 0:
        return "0s"
    if nanos < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if nanos >= size:
                return f"{nanos / size:g}{unit}"
    hours, rest = divmod(nanos, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = f"{rest / 10**9:.9f}".rstrip("0").rstrip(".") + "s"
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + seconds


@dataclass(frozen=True)
class VishPlan:
    cpus: int = 0
    mem_total: Quantity = Quantity(0, "0")
    mem_alloc_size: Quantity = Quantity(4096, "4Ki")
    mem_alloc_sleep_ns: int = 10**6


_GLOG_BOOLS = {"logtostderr", "alsologtostderr"}
_VISH_FLAGS = {  # Go's flag package lists them sorted, glog's among them
    "alsologtostderr": ("", "log to standard error as well as files"),
    "cpus": ("int", "total number of CPUs to utilize"),
    "log_backtrace_at": ("value", "when logging hits line file:N, emit a stack trace"),
    "log_dir": ("string", "If non-empty, write log files in this directory"),
    "logtostderr": ("", "log to standard error instead of files"),
    "mem-alloc-size": ("string", 'amount of memory to be consumed in each allocation (default "4Ki")'),
    "mem-alloc-sleep": ("duration", "duration to sleep between allocations (default 1ms)"),
    "mem-total": ("string", 'total memory to be consumed. Memory will be consumed via multiple allocations. (default "0")'),
    "stderrthreshold": ("value", "logs at or above this threshold go to stderr"),
    "v": ("value", "log level for V logs"),
    "vmodule": ("value", "comma-separated list of pattern=N settings for file-filtered logging"),
}  # fmt: skip
VISH_USAGE = "Usage of /stress:\n" + "\n".join(
    f"  -{name}{' ' + kind if kind else ''}\n    \t{text}"
    for name, (kind, text) in _VISH_FLAGS.items()
)


def parse_vish(argv: list[str]) -> VishPlan:
    """Go's flag package: `-name value`, `-name=value`, `--name`; booleans take no value;
    parsing stops at the first non-flag argument."""
    values: dict[str, str] = {}
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] not in ("-", "--"):
        name, eq, value = argv[i].lstrip("-").partition("=")
        if name not in _VISH_FLAGS:
            raise GoFlagError(f"flag provided but not defined: -{name}")
        if not eq and name not in _GLOG_BOOLS:
            i += 1
            if i >= len(argv):
                raise GoFlagError(f"flag needs an argument: -{name}")
            value = argv[i]
        values[name] = value
        i += 1
    cpus = values.get("cpus", "0")
    if not re.fullmatch(r"[+-]?\d+", cpus):
        raise GoFlagError(f'invalid value "{cpus}" for flag -cpus: parse error')
    return VishPlan(
        cpus=int(cpus),
        mem_total=parse_quantity(values.get("mem-total", "0")),
        mem_alloc_size=parse_quantity(values.get("mem-alloc-size", "4Ki")),
        mem_alloc_sleep_ns=parse_duration(values.get("mem-alloc-sleep", "1ms")),
    )


def glog(line: int, message: str, level: str = "I") -> None:
    """glog's header: `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, on stderr."""
    stamp = time.time()
    clock = time.strftime("%m%d %H:%M:%S", time.localtime(stamp))
    micros = int(stamp % 1 * 1e6)
    err(f"{level}{clock}.{micros:06d} {os.getpid():7d} main.go:{line}] {message}")


def read_zero(stop: threading.Event) -> None:
    """burnCPU's goroutine: copy /dev/zero to nowhere (system time; the read drops the GIL)."""
    with open("/dev/zero", "rb", buffering=0) as zero:
        while not stop.is_set():
            zero.read(1 << 16)


def run_vish(plan: VishPlan) -> int:
    step, total = plan.mem_alloc_size, plan.mem_total
    sleep = format_duration(plan.mem_alloc_sleep_ns)
    glog(26, f'Allocating "{total.text}" memory, in "{step.text}" chunks, with a {sleep} sleep between allocations')  # fmt: skip
    stop = threading.Event()
    for _ in range(plan.cpus):
        glog(39, "Spawning a thread to consume CPU")
        threading.Thread(target=read_zero, args=(stop,), daemon=True).start()
    held: list[bytearray] = []
    n = 1
    while step.value == 0 and total.value >= 0:  # 0 * i <= total for ever: never "Allocated"
        time.sleep(plan.mem_alloc_sleep_ns / 1e9 or 1e-3)
    while n * step.value <= total.value:
        chunk = bytearray(step.value)
        dirty(chunk, PAGE)
        held.append(chunk)
        time.sleep(plan.mem_alloc_sleep_ns / 1e9)
        n += 1
    glog(29, f'Allocated "{total.text}" memory')
    stop.wait()  # select {}: for ever
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    program, rest = (args[0], args[1:]) if args else ("stress", [])
    if program == "vish":
        try:
            return run_vish(parse_vish(rest))
        except GoFlagError as error:
            err(f"{error}\n{VISH_USAGE}")
            return 2
        except GoPanic as error:
            err(f"panic: {error}\n\ngoroutine 1 [running]:\nmain.main()\n\t/main.go:24")
            return 2
    try:
        return run_stress(parse_stress(rest))
    except StressError as error:
        err(f"stress: FAIL: [{os.getpid()}] {error}")
        return 1


if __name__ == "__main__":
    exit_now(main())
