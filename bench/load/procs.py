"""Child processes of the benchmark: start them in their own process group, kill whole groups,
wait for HTTP readiness, and read resident memory from /proc (psutil is not in the venv)."""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: get SIGKILL if the benchmark dies, even by kill -9."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_SPAWNER = ThreadPoolExecutor(1, thread_name_prefix="bench-spawn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Children:
    """Every process the benchmark started, by name; `stop_all` ends them all (reverse order)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name, argv, *, env, cwd, stdout_pipe=False) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the child)
        # Always forked from one long-lived thread: PR_SET_PDEATHSIG fires when the *thread*
        # that forked the child ends, so a short-lived fault thread must not be that parent.
        proc = _SPAWNER.submit(
            subprocess.Popen,
            argv,
            cwd=str(cwd),
            env=env,
            stdin=subprocess.PIPE,  # a child that reads stdin sees EOF when we die
            stdout=subprocess.PIPE if stdout_pipe else log,
            stderr=log,
            start_new_session=True,  # its own process group: killpg reaches its workers too
            preexec_fn=_die_with_parent,
        ).result()
        proc._bench_log = log  # type: ignore[attr-defined]
        self.procs[name] = proc
        return proc

    def stop(self, name: str, grace: float = 3.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        kill_group(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        kill_group(proc.pid, signal.SIGKILL)  # the group may outlive its leader (workers)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError, AttributeError):
                stream.close()
        proc._bench_log.close()  # type: ignore[attr-defined]

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            with contextlib.suppress(Exception):
                self.stop(name, grace=2.0)


def kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def http_ok(port: int, path: str, timeout: float = 2.0) -> bool | None:
    """True for a 200, None when no answer came within `timeout` (slow), False otherwise."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except TimeoutError:
        return None
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def wait_ready(proc: subprocess.Popen, port: int, path: str, limit: float = 90.0) -> float:
    """Seconds until GET path answers 200; raises if the process exits or the limit passes."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before serving")
        if http_ok(port, path):
            return time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {limit:.0f} s")


# --- /proc ---------------------------------------------------------------------------------------
def children_of(pid: int) -> list[int]:
    """Direct children of pid (scans /proc; a few hundred entries)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB, (0, 0) when the process is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, hwm


def _cpu_ticks(pid: int, fields: slice) -> float | None:
    """The sum of these /proc/PID/stat fields (after the command name) in seconds; None when
    the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace").rsplit(")", 1)[-1].split()
        return sum(int(v) for v in stat[fields]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 when gone)."""
    return _cpu_ticks(pid, slice(11, 13)) or 0.0


def postgres_cpu_seconds() -> float | None:
    """CPU time of the local PostgreSQL server so far, its exited backends included (the
    postmaster's own and its reaped children's, plus its live children's); None without a
    readable postmaster pid file. Other databases' work on the server counts too."""
    for pid_file in sorted(Path("/var/run/postgresql").glob("*.pid")):
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        own = _cpu_ticks(pid, slice(11, 15))  # utime, stime, cutime, cstime (reaped backends)
        if own is not None:
            return own + sum(cpu_seconds(c) for c in children_of(pid))
    return None


class RssTracker:
    """Peak resident memory (VmHWM, the kernel's own per-process peak) and CPU time per process,
    sampled every second so that processes killed or replaced mid-run are counted too."""

    def __init__(self) -> None:
        self.peak: dict[tuple[str, int], int] = {}
        self.cpu: dict[tuple[str, int], float] = {}

    def sample(self, roles: dict[str, tuple[int, str | None]]) -> None:
        """roles: name -> (pid, label of its direct children or None)."""
        for role, (pid, child_label) in roles.items():
            self._note(role, pid)
            if child_label:
                for child in children_of(pid):
                    self._note(child_label, child)

    def _note(self, role: str, pid: int) -> None:
        rss, hwm = memory_kb(pid)
        if rss or hwm:
            key = (role, pid)
            self.peak[key] = max(self.peak.get(key, 0), rss, hwm)
            self.cpu[key] = max(self.cpu.get(key, 0.0), cpu_seconds(pid))

    def lines(self) -> list[str]:
        """One line per process; roles with many short-lived processes (RQ work-horses) as one."""
        groups: dict[str, list[tuple[int, int]]] = {}
        for (role, pid), kb in sorted(self.peak.items()):
            groups.setdefault(role, []).append((pid, kb))
        out = []
        for role, items in groups.items():
            if len(items) > 4:
                kbs = sorted(kb for _, kb in items)
                cpu = sum(self.cpu[(role, pid)] for pid, _ in items)
                out.append(
                    f"{role} x{len(items)}: peak RSS max {kbs[-1] / 1024:.0f} MB, median "
                    f"{kbs[len(kbs) // 2] / 1024:.0f} MB, CPU {cpu:.1f} s in all"
                )
                continue
            for pid, kb in items:
                out.append(
                    f"{role} {pid}: peak RSS {kb / 1024:.0f} MB, CPU {self.cpu[(role, pid)]:.1f} s"
                )
        return out
