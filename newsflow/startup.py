"""Start-up in parallel instead of one step after the other.

Without a configured Prefect API, Prefect starts a temporary server (a uvicorn subprocess, 10-15 s here) only when
the flow first calls its API, after this process has imported Prefect; then newsflow imported Great Expectations
and loaded the model. Here the same server process is started first, before Prefect is even imported, and this
process imports Prefect and GX and loads the model while the server boots; the flow then runs against it. Against a
configured server (PREFECT_API_URL, or a profile) nothing is started.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

# Uvicorn's exit code when the port was taken between choosing and binding it (Prefect retries on another port).
_PORT_IN_USE = 3
# A fresh Prefect database migrates first (about 24 s here): wait as long as the CLI lets Prefect itself wait.
DEFAULT_TIMEOUT = 180.0


# Run first in the server's process (then it becomes uvicorn, same pid): Linux stops it when newsflow's process ends
# however it ends. atexit alone misses SIGTERM (a scheduler's timeout) and SIGKILL, and each would leave a server
# behind. Linux signals when the thread that started the process ends, hence only from the main thread.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys; ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM); "  # PR_SET_PDEATHSIG
    "os.getppid() == int(sys.argv[1]) or sys.exit(0); os.execv(sys.argv[2], sys.argv[2:])"
)


class StartupError(RuntimeError):
    """Prefect's temporary server did not come up."""


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryServer:
    """Prefect's temporary API server, run exactly as Prefect runs it (same app, same settings), started early."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.restarts = 0
        self._warming: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> "TemporaryServer":
        spec = importlib.util.find_spec("prefect")
        app_dir = str(Path(spec.origin).parent.parent)  # what Prefect passes as uvicorn's --app-dir
        self.port = free_port()
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        # The server's telemetry service reports to Prefect over the internet every few minutes; offline it logs an
        # ERROR into the run's console. A server that lives for one run sends none unless the user asks for it.
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        # glibc gives each thread that allocates at once a heap of its own (up to 8 per core), and the server answers
        # on many (aiosqlite runs each database connection on its own thread): with two heaps it ended a run over all
        # Reuters bodies at 186-188 MB instead of 190. Only the server's process; a user's own value wins.
        env.setdefault("MALLOC_ARENA_MAX", "2")
        args = [sys.executable, "-m", "uvicorn", "--app-dir", app_dir, "--factory", "prefect.server.api.server:create_app",
                "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
        if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
            args = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *args]
        self.process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL)
        atexit.register(self.stop)
        return self

    def wait_ready(self, timeout: float | None = None) -> str:
        """Block until the server answers /health; start it again if it exits (a port taken meanwhile, or a first
        migration that failed), twice at most. Returns the API URL."""
        if timeout is None:
            timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                if self.restarts >= 2:
                    raise StartupError(f"Prefect's temporary server exited with code {code} ({self.restarts + 1} attempts)")
                self.restarts += 1
                self.start()
                continue
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return self.api_url
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise StartupError(f"Prefect's temporary server did not answer within {timeout:.0f} s (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)")

    def warm_in_background(self) -> "TemporaryServer":
        """Once the server answers, send it the first requests a flow run makes (the API version, a read of the
        database): the server's first answer to each costs it about 0.5 s, paid here while this process is still
        importing instead of at the start of the flow. Only watches: restarts stay with `wait_ready`."""

        def warm() -> None:
            deadline = time.monotonic() + DEFAULT_TIMEOUT
            while True:
                process = self.process  # the main thread may stop or replace it meanwhile
                if process is None or process.poll() is not None or time.monotonic() > deadline:
                    return
                try:
                    with urllib.request.urlopen(f"{self.api_url}/health", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    time.sleep(0.1)
            for request in (urllib.request.Request(f"{self.api_url}/admin/version"),
                            urllib.request.Request(f"{self.api_url}/flows/filter", data=b'{"limit": 1}', headers={"Content-Type": "application/json"})):
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        response.read()
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    return

        self._warming = threading.Thread(target=warm, name="newsflow-server-warm-up", daemon=True)
        self._warming.start()
        return self

    def warmed(self, timeout: float = 5.0) -> None:
        """Wait (a little) for `warm_in_background` to finish, so the flow's first requests find a warm server."""
        if self._warming is not None:
            self._warming.join(timeout)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _needs_temporary_server() -> bool:
    """Prefect would start its own temporary server: no API URL in the settings (environment, profile, .env,
    prefect.toml) and ephemeral servers allowed."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    return not settings.api.url and bool(settings.server.ephemeral.enabled)


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while a run imports Prefect and GX, builds the suites and (for a small
    input without a server) loads the model; yields `resume`, which the warm-up calls when that is done. Those
    imports create some 300,000 objects that live as long as the process, and the collector's full passes walk every
    one of them again each time enough new ones have piled up: 0.4-0.6 s of this process's start-up here. `resume`
    freezes what is alive then (`gc.freeze`: modules, classes, suites and model, which later passes then skip, as
    the NLP workers do after loading the model) and turns the collector back on, before the run's work. The few
    thousand cycles the imports left behind stay (about 2 MB; a full collection to free them would cost 0.27 s)."""
    if not gc.isenabled():
        yield lambda: None
        return
    gc.disable()
    resumed = []

    def resume() -> None:
        if not resumed:
            resumed.append(True)
            gc.freeze()
            gc.enable()

    try:
        yield resume
    finally:
        resume()


_SERVER: TemporaryServer | None = None  # one per process, reused by every flow run in it (the benchmark runs several)


@contextlib.contextmanager
def prefect_api(warm_up=None):
    """The Prefect API for a flow run, with `warm_up(booting)` (imports, model) done while a temporary server boots
    (`booting` True) or, against a configured server, first (False).

    When Prefect is not imported yet and PREFECT_API_URL is not in the environment, the server process is started
    before the import (most runs have no server configured); if Prefect's settings then name an API (a profile),
    that process is stopped unused. The server lives until the process exits, after Prefect's own exit handlers."""
    global _SERVER
    if _SERVER is None:
        early = TemporaryServer().start() if "prefect" not in sys.modules and not os.environ.get("PREFECT_API_URL") else None
        if _needs_temporary_server():
            _SERVER = (early or TemporaryServer().start()).warm_in_background()
        elif early is not None:
            early.stop()
    if warm_up is not None:
        warm_up(_SERVER is not None)
    if _SERVER is None:
        yield None
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    updates = {PREFECT_API_URL: _SERVER.wait_ready()}
    if not any(os.environ.get(f"PREFECT_{name}_HEARTBEAT_FREQUENCY") for name in ("FLOWS", "RUNNER")):
        # Heartbeats let a server mark runs whose process died as crashed; this server dies with the process, so
        # nothing could read them.
        updates["flows.heartbeat_frequency"] = None
    _SERVER.warmed()
    with temporary_settings(updates=updates):
        yield _SERVER.api_url
