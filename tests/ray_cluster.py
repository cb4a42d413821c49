"""Run a command against a local Ray cluster on loopback only.

    python tests/ray_cluster.py [--cpus 2] [--nodes 1] -- netdsl compare ... --ray {address}

On Linux, Ray replaces `--node-ip-address 127.0.0.1` with the machine's
routable address, so this script is meant to run inside a network namespace
whose only interface is `lo` (see `in_namespace`): there, loopback is the only
address Ray can find. It starts a head node (and more worker nodes) with
`ray start --block`, waits for the head's port, runs the command with
{address} replaced, and stops every Ray process it started by PID (the
process group of each `ray start`), never with `ray stop`, which kills by
name. Its exit code is the command's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
PORT = 6379


def namespace_command(argv: list[str]) -> list[str]:
    """`argv` in new network and PID namespaces with only `lo`, up. The PID
    namespace is a safety net: when its first process ends, the kernel ends
    every process left in it."""
    up = 'ip link set lo up && exec "$@"'
    return ["unshare", "--net", "--pid", "--fork", "--mount-proc", "sh", "-c", up, "sh", *argv]


def namespace_problem() -> str | None:
    """Why a loopback-only namespace cannot be made here, or None."""
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux-only"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip (util-linux, iproute2) is not installed"
    r = subprocess.run(namespace_command(["true"]), capture_output=True, text=True)
    if r.returncode != 0:
        return f"cannot create a network namespace (needs root or user namespaces): {r.stderr.strip()}"
    return None


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ray start exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the Ray head did not open port {port} in {timeout:.0f} s")


def _start(args: list[str], log) -> subprocess.Popen:
    env = {**os.environ, **ENV}
    return subprocess.Popen(
        ["ray", "start", "--block", "--disable-usage-stats", *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped below by that id
    )


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run(command: list[str], cpus: int, nodes: int, timeout: float = 90) -> int:
    address = f"127.0.0.1:{PORT}"
    started: list[subprocess.Popen] = []
    temp = tempfile.mkdtemp(prefix="netdsl-raytmp-", dir="/tmp")
    log = open(os.path.join(temp, "ray.log"), "wb")  # noqa: SIM115
    try:
        head = ["--head", "--node-ip-address", "127.0.0.1", "--port", str(PORT), "--num-cpus", str(cpus)]
        started.append(_start([*head, "--include-dashboard", "false", "--temp-dir", temp], log))
        _wait_for_port(PORT, started[0], timeout)
        for _ in range(nodes - 1):
            worker = ["--address", address, "--node-ip-address", "127.0.0.1", "--num-cpus", str(cpus)]
            started.append(_start(worker, log))
        argv = [a.replace("{address}", address) for a in command]
        return subprocess.run(argv, env={**os.environ, **ENV}, timeout=900).returncode
    finally:
        for proc in reversed(started):
            _stop(proc)
        log.close()
        if os.environ.get("NETDSL_RAY_LOG"):
            sys.stderr.write(open(os.path.join(temp, "ray.log"), encoding="utf-8", errors="replace").read())
        shutil.rmtree(temp, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--cpus", type=int, default=2)
    p.add_argument("--nodes", type=int, default=1)
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    return run(command, a.cpus, a.nodes)


if __name__ == "__main__":
    sys.exit(main())
