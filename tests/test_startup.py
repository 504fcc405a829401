"""Start-up: Prefect's temporary server started before Prefect is imported, on a fresh Prefect home too, and never
when an API is configured. Each case runs in a fresh interpreter, as the CLI does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e

SCRIPT = """
import sys, urllib.request
from newsflow.startup import prefect_api
warmed = []
with prefect_api(lambda booting: warmed.append(("prefect" in sys.modules, booting))) as url:
    print("URL", url)
    print("WARMED", warmed)
    from prefect.settings import get_current_settings
    print("HEARTBEAT", get_current_settings().flows.heartbeat_frequency)
    if url:
        with urllib.request.urlopen(url + "/health", timeout=10) as r:
            print("HEALTH", r.status)
        from prefect.settings import PREFECT_API_URL
        print("SETTING", PREFECT_API_URL.value() == url)
"""


def _run(env: dict) -> str:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_fresh_prefect_home_gets_a_migrated_temporary_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"PREFECT_HOME": str(tmp_path / "prefect-home")}
    out = _run(env)
    assert "URL http://127.0.0.1:" in out and "HEALTH 200" in out and "SETTING True" in out
    assert "WARMED [(True, True)]" in out  # the warm-up ran (after Prefect's import) while the server started
    assert "HEARTBEAT None" in out  # no heartbeats to a server that ends with the run (nothing could read them)
    assert (tmp_path / "prefect-home" / "prefect.db").exists()


def test_a_configured_api_starts_no_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    out = _run(env)
    assert "URL None" in out and "WARMED [(True, False)]" in out  # nothing boots: the warm-up knows
    assert "HEARTBEAT 180" in out  # a configured server keeps Prefect's heartbeats (it marks dead runs crashed)
    assert not (tmp_path / "prefect-home" / "prefect.db").exists()


def test_the_temporary_server_ends_with_the_process_that_started_it_even_when_killed(tmp_path):
    """SIGKILL (or a scheduler's SIGTERM) skips atexit: the server must still not outlive newsflow."""
    import signal
    import time

    script = ("import os, sys, time; from newsflow.startup import TemporaryServer; s = TemporaryServer().start(); s.wait_ready(); "
              "print(s.process.pid, flush=True); time.sleep(600)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"PREFECT_HOME": str(tmp_path / "prefect-home"), "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        server = int(parent.stdout.readline())
        os.kill(server, 0)  # it is running (raises if not)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(server, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            os.kill(server, signal.SIGKILL)
            pytest.fail("the temporary server outlived the process that started it")
    finally:
        parent.kill()


def _server_environment(monkeypatch, name: str, user: str | None) -> dict:
    """The environment TemporaryServer gives its process, with the user's `name` unset (None) or set to `user`."""
    from newsflow import startup

    started = []
    monkeypatch.setattr(startup.subprocess, "Popen", lambda args, env, **kw: started.append(env))
    monkeypatch.setattr(startup.atexit, "register", lambda fn: None)
    if user is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, user)
    startup.TemporaryServer().start()
    return started[0]


@pytest.mark.parametrize("user, expected", [(None, "false"), ("true", "true")])
def test_the_temporary_server_sends_no_telemetry_unless_asked(monkeypatch, user, expected):
    """Offline, Prefect's telemetry service logs an ERROR into the run's console every few minutes."""
    assert _server_environment(monkeypatch, "PREFECT_SERVER_ANALYTICS_ENABLED", user)["PREFECT_SERVER_ANALYTICS_ENABLED"] == expected


@pytest.mark.parametrize("user, expected", [(None, "2"), ("4", "4")])
def test_the_temporary_server_allocates_from_two_heaps_unless_told(monkeypatch, user, expected):
    """The server answers on many threads (one per database connection): with glibc's default heap per thread it
    ended a run over all Reuters bodies at 190 MB, with two at 186-188 MB. A user's own MALLOC_ARENA_MAX wins."""
    assert _server_environment(monkeypatch, "MALLOC_ARENA_MAX", user)["MALLOC_ARENA_MAX"] == expected


def test_the_collector_is_paused_for_the_imports_and_resumed_frozen():
    """`collector_paused`: off inside, on again after `resume` (called once or more) with what was alive frozen, on
    again after an error before `resume`, and left as it was when it was already off."""
    import gc

    from newsflow.startup import collector_paused

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        with collector_paused() as resume:
            assert not gc.isenabled()
            kept = [object() for _ in range(1000)]
            resume()
            resume()
            assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(kept)
        assert gc.isenabled()
        with pytest.raises(RuntimeError):
            with collector_paused():
                assert not gc.isenabled()
                raise RuntimeError("warm-up failed")
        assert gc.isenabled()
        gc.disable()
        with collector_paused() as resume:
            resume()
            assert not gc.isenabled()  # someone else turned it off: theirs to turn on
        gc.enable()
    finally:
        gc.enable()
        gc.unfreeze()  # the test's objects back to the collector's care
