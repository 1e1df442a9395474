"""``emis-lod cluster`` (and ``serve`` with ``front = nginx``): read-only replicas behind nginx.

A release is immutable, so replicas are full copies that share nothing but the store directory:
N ``emis-lod serve --front none`` processes (each a gunicorn with its workers) on free loopback
ports, nginx in front of them (endpoint/front.py), and this supervisor, which

- checks every replica's ``/healthz`` each second: one that fails or dies is marked ``down`` in
  nginx's configuration (a graceful reload) and restarted; marked up again once healthy. nginx
  itself also skips a replica on a connection error and retries the request on another
  (``proxy_next_upstream``), so a replica killed mid-load costs no request;
- runs the one background renderer of the store (each replica would otherwise start its own);
- stops everything on SIGINT/SIGTERM: nginx first (no new requests), then the replicas; every
  child is also told by the kernel to stop when the supervisor dies (``processes.die_with_parent``).

The runtime directory holds nginx's configuration, temporary files and cache, and
``cluster.json`` (pids and ports, for operators and tests).
"""

from __future__ import annotations

import contextlib
import functools
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from emis_lod.settings import Settings

from .front import Nginx, Replica, nginx_config
from .processes import die_with_parent

STATE_FILE = "cluster.json"
CHECK_EVERY = 1.0        # seconds between health checks
CHECK_TIMEOUT = 2.0      # seconds a /healthz may take
START_TIMEOUT = 60.0     # seconds a replica may take to answer its first /healthz


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def replica_environment(settings: Settings) -> dict[str, str]:
    """The environment of a replica: every setting as ``EMIS_LOD_*``, no front, no renderer."""
    env = dict(os.environ)
    for f in fields(Settings):
        env[f"EMIS_LOD_{f.name.upper()}"] = str(getattr(settings, f.name))
    env["EMIS_LOD_FRONT"] = "none"
    env["EMIS_LOD_PRERENDER"] = "off"
    return env


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=CHECK_TIMEOUT) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


@dataclass
class ReplicaProcess:
    port: int
    process: subprocess.Popen[bytes] | None = None
    down: bool = False
    restarts: int = 0
    started: float = field(default=0.0)


def _render_until_parent_dies(parent: int, store: Path, settings: Settings) -> None:
    from .server import _render_in_background

    die_with_parent(parent)
    _render_in_background(store, settings, parent)   # which also stops when the parent is gone


class Cluster:
    """Replicas of ``store`` behind nginx on ``settings.host:settings.port``."""

    def __init__(self, store: Path, settings: Settings, replicas: int, *,
                 runtime: Path | None = None, echo: Callable[[str], None] = print) -> None:
        self.store = Path(store).resolve()
        self.settings = settings
        self.echo = echo
        self.own_runtime = runtime is None
        self.runtime = Path(runtime or tempfile.mkdtemp(prefix="emis-lod-cluster-")).resolve()
        self.runtime.mkdir(parents=True, exist_ok=True)
        self.replicas = [ReplicaProcess(port=free_port()) for _ in range(replicas)]
        self.nginx = Nginx(self.runtime)
        self.renderer: Any = None
        self.stopping = False

    # -- configuration -------------------------------------------------------------------------

    def config(self) -> str:
        return nginx_config(self.settings, store=self.store, runtime=self.runtime,
                            replicas=[Replica(r.port, r.down) for r in self.replicas])

    def _write_state(self) -> None:
        state = {"store": str(self.store), "listen": f"{self.settings.host}:{self.settings.port}",
                 "nginx": {"pid": self.nginx.process.pid if self.nginx.process else None,
                           "config": str(self.nginx.config_path)},
                 "replicas": [{"port": r.port, "pid": r.process.pid if r.process else None,
                               "down": r.down, "restarts": r.restarts} for r in self.replicas],
                 "renderer": self.renderer.pid if self.renderer is not None else None}
        partial = self.runtime / (STATE_FILE + ".partial")
        partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, self.runtime / STATE_FILE)

    # -- children ------------------------------------------------------------------------------

    def _start_replica(self, replica: ReplicaProcess) -> None:
        s = self.settings
        command = [sys.executable, "-m", "emis_lod.cli", "serve", "--store", str(self.store),
                   "--host", "127.0.0.1", "--port", str(replica.port)]
        replica.process = subprocess.Popen(
            command, env=replica_environment(replace(s, host="127.0.0.1", port=replica.port)),
            stdin=subprocess.DEVNULL, process_group=0,
            preexec_fn=functools.partial(die_with_parent, os.getpid()))
        replica.started = time.monotonic()

    def _stop_replica(self, replica: ReplicaProcess, timeout: float) -> None:
        process = replica.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()         # gunicorn's arbiter stops its workers gracefully
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def _start_renderer(self) -> None:
        if self.settings.prerender != "background":
            return
        self.renderer = multiprocessing.get_context("fork").Process(
            target=_render_until_parent_dies, args=(os.getpid(), self.store, self.settings),
            name="emis-lod-render", daemon=False)
        self.renderer.start()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Replicas first (nginx starts once each answers), then nginx, then the renderer."""
        self.nginx.write(self.config())     # checked now, before anything starts
        for replica in self.replicas:
            self._start_replica(replica)
        deadline = time.monotonic() + START_TIMEOUT
        waiting = list(self.replicas)
        while waiting:
            for replica in list(waiting):
                assert replica.process is not None
                if replica.process.poll() is not None:
                    raise RuntimeError(f"replica on port {replica.port} exited with "
                                       f"{replica.process.returncode} before it answered")
                if healthy(replica.port):
                    waiting.remove(replica)
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"replicas on ports {[r.port for r in waiting]} did not "
                                   f"answer /healthz within {START_TIMEOUT:g} s")
            time.sleep(0.1)
        self.nginx.start()
        self._start_renderer()
        self._write_state()

    def check(self) -> None:
        """One round of health checks: restart dead replicas, take failing ones out of nginx."""
        changed = False
        for replica in self.replicas:
            assert replica.process is not None
            if replica.process.poll() is not None:
                # nginx already skips it (connection refused: proxy_next_upstream), so it is
                # restarted on the same port without a reload.
                self.echo(f"replica on port {replica.port} exited "
                          f"({replica.process.returncode}); restarting it")
                with contextlib.suppress(ProcessLookupError):  # its orphaned workers, if any
                    os.killpg(replica.process.pid, signal.SIGKILL)
                self._start_replica(replica)
                replica.restarts += 1
                continue
            ok = healthy(replica.port)
            starting = replica.restarts and time.monotonic() - replica.started < START_TIMEOUT
            if not ok and starting:
                continue        # a restarted replica still opening its release: not a failure
            if ok == replica.down:
                if ok or any(not r.down for r in self.replicas if r is not replica):
                    replica.down = not ok
                    changed = True
                    self.echo(f"replica on port {replica.port} is "
                              f"{'back' if ok else 'failing its health check; taken out'}")
        if changed:
            self.nginx.write(self.config())
            self.nginx.reload()
        self._write_state()

    def run(self) -> None:
        """Start, check health until SIGINT/SIGTERM, stop."""
        received: list[int] = []

        def stop_on(signum: int, _frame: Any) -> None:
            received.append(signum)

        previous = {sig: signal.signal(sig, stop_on) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            self.echo(f"nginx on http://{self.settings.host}:{self.settings.port}/ in front of "
                      f"{len(self.replicas)} replica(s) on ports "
                      f"{', '.join(str(r.port) for r in self.replicas)}; runtime {self.runtime}")
            while not received:
                if not self.nginx.running():
                    raise RuntimeError("nginx exited; see its messages above")
                self.check()
                for _ in range(int(CHECK_EVERY / 0.1)):
                    if received:
                        break
                    time.sleep(0.1)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        self.nginx.stop()
        grace = max(3, min(self.settings.timeout, int(self.settings.query_timeout) + 2)) + 5
        for replica in self.replicas:
            if replica.process is not None and replica.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    replica.process.terminate()
        for replica in self.replicas:
            self._stop_replica(replica, timeout=grace)
        if self.renderer is not None:
            self.renderer.terminate()
            self.renderer.join(timeout=10)
            if self.renderer.is_alive():
                self.renderer.kill()
        if self.own_runtime:
            shutil.rmtree(self.runtime, ignore_errors=True)
