"""Child processes that never outlive the process that started them (Linux's PR_SET_PDEATHSIG).

Used by the query processes of a worker (endpoint/executor.py) and by everything ``cluster``
and ``serve`` start: nginx, the replicas, the renderer (endpoint/cluster.py, endpoint/front.py).
"""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None, sig: int = signal.SIGTERM) -> None:
    """In a child (before exec, or first thing after a fork): the kernel sends it ``sig`` when
    its parent dies, even by SIGKILL. ``parent`` is the parent's pid as the parent knew it: if
    the parent is already gone (it died before this call), the child stops at once. Elsewhere
    than Linux a no-op."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)
