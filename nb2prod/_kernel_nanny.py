"""Run a Jupyter kernel as a child of this small process, not of nb2prod's.

A notebook cell can reach the process that started its kernel: ``os.kill(os.getppid(),
signal.SIGKILL)`` would kill ``nb2prod build`` (or the Jupyter server running a build)
on the spot, leaving a half-written staging folder and no message. With this process in
between, the cell kills only it: nb2prod sees the kernel's process end, reports the
cell that was running, and cleans up. The kernel follows its parent out: on Linux at
once (``PR_SET_PDEATHSIG``), elsewhere within a second (ipykernel exits when its parent
process goes away: ``JPY_PARENT_PID`` names this process).

jupyter_client signals the kernel's whole process group (interrupts with SIGINT, ends
with SIGTERM or SIGKILL), which holds this process and the kernel; so this process
ignores SIGINT (it is the kernel's to handle), and exits with the kernel's status
(128 + N when signal N ended it). A SIGTERM sent to this process kills the kernel and
reaps it before this process exits: nb2prod stops a kernel that way (see
``kernel_runner.stop_kernel_process``), so that no kernel outlives its run, even as a zombie
waiting for init to reap it (which a SIGKILL of the whole group would leave behind).

Run by its path (``python _kernel_nanny.py KERNEL_ARGV...``): it imports nothing of nb2prod.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def _die_with_parent() -> None:
    """In the kernel's process, before it starts: be killed when this process dies (Linux)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: _kernel_nanny.py KERNEL_COMMAND...", file=sys.stderr)
        return 2
    env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    child = subprocess.Popen(argv, env=env, preexec_fn=preexec)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: child.kill())
    code = child.wait()  # PEP 475: retried when a signal handler has run
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
