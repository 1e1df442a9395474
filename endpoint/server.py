"""``emis-lod serve``: the application under gunicorn, a production WSGI server.

Workers are separate processes (``settings.workers``); each one builds the application after the
fork and opens the release READ-ONLY on its first request, so no database handle crosses a fork.
Sync workers: a request that runs past ``settings.timeout`` seconds gets its worker restarted, the
last line of defence against a runaway query. A sync worker is held by a slow client, so unless
``front = none`` serve puts nginx in front (endpoint/front.py, endpoint/cluster.py).

With ``prerender = background`` the arbiter also starts one low-priority process that renders the
heaviest documents of the served release into it (``prerender.follow``), and stops it on exit.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from emis_lod.loaders.releases import NoRelease, current_release, read_manifest
from emis_lod.settings import Settings


class EmisServer(BaseApplication):  # type: ignore[misc]
    """gunicorn configured from :class:`Settings`, never from the command line of gunicorn."""

    def __init__(self, store_dir: Path, settings: Settings) -> None:
        self.store_dir = Path(store_dir)
        self.settings = settings
        self.renderer: Any = None   # the background renderer (a forked process) when started
        super().__init__()

    def start_renderer(self, _arbiter: Any = None) -> None:
        if self.settings.prerender != "background":
            return
        renderer = multiprocessing.get_context("fork").Process(
            target=_render_in_background, args=(self.store_dir, self.settings, os.getpid()),
            name="emis-lod-render", daemon=False)
        renderer.start()
        self.renderer = renderer

    def stop_renderer(self, _arbiter: Any = None) -> None:
        if self.renderer is None:
            return
        try:  # the arbiter may have reaped it already (it waits for any child)
            self.renderer.terminate()
            self.renderer.join(timeout=10)
            if self.renderer.is_alive():
                self.renderer.kill()
        except (OSError, ValueError):
            pass

    def options(self) -> dict[str, Any]:
        s = self.settings
        return {
            "bind": [f"{s.host}:{s.port}"],
            "workers": s.workers,
            "worker_class": "sync",
            "timeout": s.timeout,
            # in-flight queries end within query_timeout, so a stop never needs to wait longer
            "graceful_timeout": max(3, min(s.timeout, int(s.query_timeout) + 2)),
            "preload_app": False,  # build the app (and open the store) in each worker
            "proc_name": "emis-lod",
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "info",
            # gunicorn 23+ opens a control socket at one fixed path per user: several servers
            # on one machine (tests, replicas) would share it and stall each other's shutdown.
            "control_socket_disable": True,
            "on_starting": self.start_renderer,
            "on_exit": self.stop_renderer,
        }

    def load_config(self) -> None:
        for key, value in self.options().items():
            if key in self.cfg.settings:      # settings a given gunicorn version lacks are skipped
                self.cfg.set(key, value)

    def load(self) -> Any:
        from . import create_app

        return create_app(self.store_dir, self.settings)


def _render_in_background(store_dir: Path, settings: Settings, parent: int | None = None) -> None:
    from . import prerender

    signal.signal(signal.SIGINT, signal.SIG_IGN)      # Ctrl-C stops the arbiter, which stops us
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    prerender.follow(store_dir, settings, echo=lambda line: print(line, file=sys.stderr, flush=True),
                     parent=parent)


def serve(store_dir: Path, settings: Settings) -> None:
    """Serve the current release of ``store_dir`` until interrupted: behind nginx (one replica,
    endpoint/cluster.py) unless ``front = none``, then gunicorn alone."""
    try:
        release = current_release(store_dir)
        manifest = read_manifest(release)
    except (NoRelease, OSError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    base = manifest.get("base_uri", settings.base_uri)
    front = "" if settings.front == "none" else " behind nginx"
    print(f"serving release {release.name} of {store_dir} (base URI {base}) on "
          f"http://{settings.host}:{settings.port}/ with {settings.workers} workers{front}",
          file=sys.stderr, flush=True)
    if settings.front == "none":
        EmisServer(store_dir, settings).run()
    else:
        run_cluster(store_dir, settings, replicas=1)


def run_cluster(store_dir: Path, settings: Settings, replicas: int,
                runtime: Path | None = None) -> None:
    """``replicas`` replicas of the store behind nginx until SIGINT/SIGTERM."""
    from .cluster import Cluster
    from .front import FrontError

    try:
        Cluster(store_dir, settings, replicas, runtime=runtime,
                echo=lambda line: print(line, file=sys.stderr, flush=True)).run()
    except (FrontError, RuntimeError) as err:
        raise SystemExit(f"error: {err}") from None
