"""The container world's init step: runs as PID 1 of a fresh PID namespace, then becomes the
container's command.

`unshare --fork --pid --mount --uts --ipc` (plus `--user --map-root-user` when kubesim is
not root) starts this file with kubesim's interpreter (`python -I -S`, standard library only,
so it costs one interpreter start and nothing of kubesim). Still seeing the host's files, it:

  1. reports its host PID on the status pipe (`pid N`), so the kubelet can signal it and
     `--enter` (below) can enter it;
  2. binds the root filesystem the runtime assembled (`_rootfs`) onto itself, binds every
     read-only host directory, image file and volume at its path, mounts `/proc` of its own
     PID namespace, `/sys` read-only, the few `/dev` nodes, a private `/dev/pts` and
     `/dev/shm`;
  3. sets the hostname, pivots into the new root and detaches the host's, and shrinks the
     capability bounding set to a runtime's defaults (no CAP_SYS_ADMIN: no new mounts);
  4. becomes the container's user (`ids`: uid, gid, supplementary groups; see "Users"
     below), sets no_new_privs when asked and makes the root read-only for
     `readOnlyRootFilesystem`;
  5. resolves the command against the container's PATH, reports `exec` (or `err ERRNO
     MESSAGE` when there is nothing to run, the runtime's StartError), and `execve`s it
     with exactly the container's environment. The command is then PID 1: the kernel
     delivers to it only the signals it handles, as on a node.

Users: when kubesim is root the init calls setgroups, setgid and setuid, as runc does, so a
process's uid, gid and groups are what the securityContext says and a non-root user's
capabilities are gone. A rootless kubesim's containers are root in a user namespace that
maps only kubesim's own user, where no other uid exists; there the init makes one more user
namespace mapping that single user to the container's uid and gid (setgroups denied, as the
kernel requires for an unprivileged map), so `id` prints the right uid and gid, the
supplementary groups cannot be set, and every file of kubesim's user shows as the
container's user.

Its one argument is a JSON file written by the runtime (`_rootfs.InitSpec`). Any failure
before `exec` is reported on the status pipe and ends the process with 127.

`--enter PID [--user] [--net] [--ids=UID:GID:G,G] [--no-new-privs] [--status-fd=N]
[--console-fd=N] -- ARGV` is the other way in, for `kubectl exec` and exec probes: join a
running container's namespaces, root and working directory, shrink the capability bounding
set as its command's, become its user, run ARGV with the caller's environment, and end as it
ended. With `--status-fd` a command that cannot start is reported
there (`err ERRNO MESSAGE`) before anything runs, and the fd closes on a successful `execve`:
the kubelet fails the exec before its stream starts, as a runtime does.

A terminal (`tty: true`, `kubectl exec -it`) is made as runc makes its console: inside the
container, from its own `/dev/pts` instance (`/dev/ptmx` there), the slave becoming the
command's stdin, stdout, stderr and controlling terminal, and the master passed back to the
kubelet over a unix socket (`consoleFd` / `--console-fd`, SCM_RIGHTS), which relays it to
the client and sizes it. So `tty` in the container names one of its own `/dev/pts/N`.
"""

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import platform
import signal
import socket
import struct
import sys
import termios
from collections.abc import Iterable, Mapping

# `--enter`'s caller names here the keys of the environment the command gets: the rest of
# this process's environment is what starting it added (`sh`'s PWD in `_launch`, and
# Python's LC_CTYPE, which PYTHONCOERCECLOCALE=0 keeps it from coercing), not the container's
ENV_KEYS = "KUBESIM_EXEC_ENV_KEYS"

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_RELATIME = 1 << 21
MNT_DETACH = 2
ST_RELATIME = 4096
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWUSER = 0x10000000
NS_GET_USERNS = 0xB701  # _IO(0xb7, 0x1): the user namespace that owns a namespace
TIOCGPTPEER = 0x5441  # _IO('T', 0x41): open a pty's slave from its master (Linux 4.13+)
TIOCSPTLCK = 0x40045431  # _IOW('T', 0x31, int): unlock the slave
TIOCGPTN = 0x80045430  # _IOR('T', 0x30, unsigned int): the slave's number
# the capabilities a container keeps, as Docker's and containerd's defaults: without
# CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE... a container's root cannot undo its
# mounts, read the host's files by handle, or trace the host's processes
KEPT_CAPS = {0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31}
PIVOT_ROOT = {
    "x86_64": 155,
    "aarch64": 41,
    "arm64": 41,
    "riscv64": 41,
    "ppc64le": 203,
    "s390x": 217,
}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]


class InitError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise InitError(code, f"{what}: {os.strerror(code)}")


def mount(source, target, fstype, flags, data=None):  # type: ignore[no-untyped-def]
    enc = [None if x is None else os.fsencode(x) for x in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], flags, enc[3]), f"mount {source} on {target}")


def _locked_flags(path: str) -> int:
    """The flags a read-only remount must keep (in a user namespace they are locked)."""
    have = os.statvfs(path).f_flag
    flags = have & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    if have & ST_RELATIME:
        flags |= MS_RELATIME
    return flags


def bind(source: str, target: str, *, read_only: bool, recursive: bool = True) -> None:
    mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    if read_only:
        mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | _locked_flags(target))


def _try(action, *args, **kwargs) -> bool:  # type: ignore[no-untyped-def]
    try:
        action(*args, **kwargs)
    except InitError:
        return False
    return True


def assemble(spec: dict) -> None:  # type: ignore[type-arg]
    root = spec["rootfs"]
    bind(root, root, read_only=False, recursive=False)
    for source, target, read_only in spec["binds"]:
        bind(source, root + target, read_only=read_only)
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # the host's /sys, read-only; without the cgroup hierarchy under it where the kernel allows
    if not _try(bind, "/sys", root + "/sys", read_only=True, recursive=False):
        bind("/sys", root + "/sys", read_only=True)
    for node in spec["devices"]:
        bind("/dev/" + node, f"{root}/dev/{node}", read_only=False, recursive=False)
    mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    if _try(
        mount,
        "devpts",
        root + "/dev/pts",
        "devpts",
        MS_NOSUID | MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=0620",
    ):
        os.symlink("pts/ptmx", root + "/dev/ptmx")
    name = spec["hostname"].encode()
    _check(_libc.sethostname(name, len(name)), "sethostname")
    os.chdir(root)
    number = PIVOT_ROOT.get(platform.machine())
    if number is not None and _libc.syscall(number, b".", b".") == 0:
        _check(_libc.umount2(b".", MNT_DETACH), "umount the host's root")
    else:  # an architecture without a known pivot_root number: chroot, still a private tree
        os.chroot(".")
    os.chdir("/")


def become(ids: list | None, *, nested: bool, no_new_privs: bool) -> None:  # type: ignore[type-arg]
    """Take the container's user (`ids`: uid, gid, groups; None: already it, having
    entered its user namespace); see "Users" above."""
    if ids is not None:
        uid, gid, groups = int(ids[0]), int(ids[1]), [int(g) for g in ids[2]]
        if not nested:
            try:
                os.setgroups(groups)
                os.setgid(gid)
                os.setuid(uid)
            except OSError as exc:
                why = f"setting the user: {exc.strerror}"
                raise InitError(exc.errno or errno.EPERM, why) from exc
        elif uid or gid:
            _check(_libc.unshare(CLONE_NEWUSER), "a user namespace for the container's user")
            for name, text in (
                ("uid_map", f"{uid} 0 1\n"),
                ("setgroups", "deny"),
                ("gid_map", f"{gid} 0 1\n"),
            ):
                with open(f"/proc/self/{name}", "w", encoding="ascii") as handle:
                    handle.write(text)
    if no_new_privs:
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def read_only_root() -> None:
    """`readOnlyRootFilesystem`: the root, not the volumes and /dev, /proc under it."""
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | _locked_flags("/"))


def drop_capabilities(last: int, also: Iterable[int] = ()) -> None:
    """Shrink the bounding set: the command, exec'd as root, gets only the kept ones
    (less `also`, the securityContext's `capabilities.drop`)."""
    kept = KEPT_CAPS - set(also)
    for cap in range(last + 1):
        if cap not in kept:
            _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"drop capability {cap}")


def resolve(argv0: str, path: str) -> str:
    """The executable `argv0` names, as runc looks it up (exec: "x": ...)."""
    if "/" in argv0:
        candidates = [argv0]
    else:
        candidates = [os.path.join(d or ".", argv0) for d in path.split(":")]
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    if "/" in argv0:
        if os.path.exists(argv0):
            raise InitError(errno.EACCES, "permission denied")
        raise InitError(errno.ENOENT, "no such file or directory")
    raise InitError(errno.ENOENT, "executable file not found in $PATH")


def console(sock_fd: int) -> int:
    """A terminal in the container's own devpts (its `/dev/ptmx`): send the master over the
    unix socket `sock_fd` and return the slave, as runc's console socket does."""
    try:
        master = os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise InitError(exc.errno or errno.ENOENT, f"open /dev/ptmx: {exc.strerror}") from exc
    try:
        fcntl.ioctl(master, TIOCSPTLCK, b"\0\0\0\0")
        try:
            slave = fcntl.ioctl(master, TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY)
        except OSError:  # before Linux 4.13: by its number in the container's /dev/pts
            (number,) = struct.unpack("I", fcntl.ioctl(master, TIOCGPTN, b"\0" * 4))
            slave = os.open(f"/dev/pts/{number}", os.O_RDWR | os.O_NOCTTY)
        with socket.socket(fileno=sock_fd) as sock:
            socket.send_fds(sock, [b"console"], [master])
    except OSError as exc:
        raise InitError(exc.errno or errno.EIO, f"console: {exc.strerror or exc}") from exc
    finally:
        os.close(master)
    return slave


def take_terminal(slave: int) -> None:
    """In the command's process: a session of its own with `slave` as its controlling
    terminal and its stdin, stdout and stderr."""
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        os.dup2(slave, target)
    if slave > 2:
        os.close(slave)


def _report(status: int | None, code: int, message: str) -> None:
    if status is None:
        sys.stderr.write(message + "\n")
    else:
        with contextlib.suppress(OSError):
            os.write(status, f"err {code} {message}\n".encode())


def enter(
    pid: int,
    user: bool,
    argv: list[str],
    *,
    net: bool = False,
    status: int | None = None,
    console_fd: int | None = None,
    ids: list | None = None,  # type: ignore[type-arg]
    no_new_privs: bool = False,
    drop_caps: Iterable[int] = (),
) -> int:
    """`kubectl exec`'s way in (`Running.exec_spec`): what `nsenter --target PID --mount --uts
    --ipc --pid --root --wd` does, plus the container's capability bounding set, which
    nsenter cannot shrink. Waits for the command and ends as it ended (code or signal).
    `status`: where a command that cannot start is reported (closed by a successful exec);
    `console_fd`: a unix socket that gets the master of a terminal made in the container."""
    if status is not None:
        os.set_inheritable(status, False)  # closed by the command's execve: it started
    kinds = (["net"] if net else []) + ["ipc", "uts", "pid", "mnt"]
    with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as handle:
        last_cap = int(handle.read())
    try:
        try:  # the container may have ended since the kubelet looked (runc's words then)
            fds = {kind: os.open(f"/proc/{pid}/ns/{kind}", os.O_RDONLY) for kind in kinds}
            # rootless: first the user namespace that owns the others, last the container
            # user's own (see "Users"), whose capabilities do not reach its parent's
            own = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY) if user else None
            if own is not None:
                outer = fcntl.ioctl(fds["mnt"], NS_GET_USERNS)
                if _same(outer, own):
                    os.close(own)
                    own = None
                kinds, fds = ["user", *kinds], {"user": outer, **fds}
            root = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY)
            cwd = os.open(f"/proc/{pid}/cwd", os.O_RDONLY | os.O_DIRECTORY)
        except (FileNotFoundError, ProcessLookupError) as exc:
            raise InitError(errno.ESRCH, "cannot exec in a stopped container") from exc
        for kind in kinds:
            _check(_libc.setns(fds[kind], 0), f"enter the container's {kind} namespace")
            os.close(fds[kind])
        os.fchdir(root)
        os.chroot(".")
        os.fchdir(cwd)
        if own is not None:
            _check(_libc.setns(own, 0), "enter the container user's namespace")
            os.close(own)
        path = resolve(argv[0], os.environ.get("PATH", ""))
        slave = console(console_fd) if console_fd is not None else None
    except InitError as exc:
        if status is not None:
            _report(status, exc.code, str(exc))
        else:
            _report(
                None,
                exc.code,
                f'exec failed: unable to start container process: exec: "{argv[0]}": {exc}',
            )
        return 127
    child = os.fork()  # the PID namespace applies to children
    if child == 0:
        try:
            _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: not without its caller
            if slave is not None:
                take_terminal(slave)
            drop_capabilities(last_cap, drop_caps)
            # rootless: the container's user namespace, just entered, made us its user
            become(None if user else ids, nested=False, no_new_privs=no_new_privs)
            os.execve(path, argv, exec_environment(os.environ))
        except (OSError, InitError) as exc:
            code = getattr(exc, "errno", None) or getattr(exc, "code", 0) or 0
            _report(status, code, f"exec {argv[0]}: {getattr(exc, 'strerror', None) or exc}")
        os._exit(127)
    if slave is not None:
        os.close(slave)  # the command's alone: its end closes the terminal (EIO on the master)
    if status is not None:
        os.close(status)
    for forwarded in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(forwarded, lambda n, _f: _forward(child, n))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            return 127
    return end_as(status)


def _forward(child: int, signum: int) -> None:
    """Pass a signal on to the command; one that arrives after it was reaped has no one
    to reach (the wrapper then ends as the command did, not with a traceback)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signum)


def end_as(status: int) -> int:
    """End as the command ended: by the same signal (so the runtime reports 128+N), or
    with its code. SIGKILL and SIGSTOP have no handler to reset: `signal.signal` refuses
    them, and a command the kernel SIGKILLed (its PID namespace's init gone, the OOM
    killer) would otherwise end the wrapper with Python's exit 1."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    return os.waitstatus_to_exitcode(status)


def exec_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment `--enter` runs its command with: the keys its caller named in
    ENV_KEYS, else (an older caller) all of it but that name."""
    keys = environ.get(ENV_KEYS)
    if keys is None:
        return dict(environ)
    return {key: environ[key] for key in keys.split("=") if key and key in environ}


def _same(a: int, b: int) -> bool:
    first, second = os.fstat(a), os.fstat(b)
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def _parse_ids(text: str) -> list:  # type: ignore[type-arg]
    uid, gid, groups = text.split(":")
    return [int(uid), int(gid), [int(g) for g in groups.split(",") if g]]


def main() -> int:
    if sys.argv[1] == "--enter":  # --enter PID [--user] [--net] [--status-fd=N] ... -- ARGV
        rest = sys.argv[2:]
        split = rest.index("--")
        flags = rest[1:split]
        values = dict(flag.partition("=")[::2] for flag in flags)
        ids = values.get("--ids")
        return enter(
            int(rest[0]),
            "--user" in flags,
            rest[split + 1 :],
            net="--net" in flags,
            status=int(values["--status-fd"]) if "--status-fd" in values else None,
            console_fd=int(values["--console-fd"]) if "--console-fd" in values else None,
            ids=_parse_ids(ids) if ids else None,
            no_new_privs="--no-new-privs" in flags,
            drop_caps=[int(c) for c in values.get("--drop-caps", "").split(",") if c],
        )
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    status = int(spec["statusFd"])
    os.set_inheritable(status, False)
    # the log pipes, the attach pipe; with a terminal none: the console becomes all three
    streams = [
        (spec[key], target)
        for key, target in (("stdinFd", 0), ("stdoutFd", 1), ("stderrFd", 2))
        if spec.get(key) is not None
    ]
    for fd, target in streams:
        os.dup2(fd, target)  # the container's log pipes; unshare keeps its own stderr
    for fd in {fd for fd, _ in streams}:
        if fd > 2:
            os.close(fd)
    console_fd = spec.get("consoleFd")
    os.write(status, f"pid {os.readlink('/proc/self')}\n".encode())
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as handle:
            last_cap = int(handle.read())
        assemble(spec)
        if console_fd is not None:  # the container's terminal, from its own /dev/pts
            take_terminal(console(int(console_fd)))
        if spec.get("readOnlyRoot"):
            read_only_root()
        drop_capabilities(last_cap, spec.get("dropCaps") or ())
        if spec.get("ids") is not None:
            become(
                spec["ids"],
                nested=bool(spec.get("userNamespace")),
                no_new_privs=bool(spec.get("noNewPrivs")),
            )
        workdir = spec["workingDir"]
        try:
            os.chdir(workdir)
        except OSError as exc:
            raise InitError(
                exc.errno or errno.ENOENT,
                f"chdir to cwd ({workdir!r}) set in config.json failed: {exc.strerror}",
            ) from exc
        argv, env = spec["argv"], spec["env"]
        path = resolve(argv[0], env.get("PATH", ""))
    except InitError as exc:
        os.write(status, f"err {exc.code} {exc}\n".encode())
        return 127
    os.write(status, b"exec\n")
    os.close(status)
    try:
        os.execve(path, argv, env)
    except OSError as exc:
        sys.stderr.write(f"exec {argv[0]}: {exc.strerror}\n")
    return 127


if __name__ == "__main__":
    sys.exit(main())
