"""`newsflow serve`: against a real local Prefect server, a scheduled run of the served deployment picks up new raw
files and publishes them. Slow (a fresh server migrates its database, about 25 s); run on its own with
`pytest tests/e2e/test_serve.py`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from newsflow.store import CuratedStore
from tests.conftest import REPO

INTERVAL = 10  # seconds between scheduled runs
ARTICLE = """Harbour Board Approves Night Ferry Trial

The harbour board voted on Tuesday to run a night ferry between the two island towns for six months, its chair said.
"""

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, check, timeout: float, procs: list[subprocess.Popen]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, f"{proc.args[:4]} exited with {proc.returncode} while waiting for {what}"
        try:
            result = check()
        except (OSError, ValueError):
            result = None
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _api(url: str, path: str, body: dict | None = None):
    request = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _stop(proc: subprocess.Popen, sig=signal.SIGINT) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_serve_runs_on_schedule_and_publishes_new_files(tmp_path):
    raw, out, logs = tmp_path / "raw", tmp_path / "curated", tmp_path / "logs"
    raw.mkdir(), logs.mkdir()
    api = f"http://127.0.0.1:{_free_port()}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "NEWSFLOW_EXTRACT": "false",  # what is served is under test here, not extraction
    }
    port = api.split(":")[2].split("/")[0]
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", port],
                              env=env, stdout=open(logs / "server.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    served = None
    try:
        _wait("the Prefect server", lambda: _api(api, "/health") is True, 240, [server])
        served = subprocess.Popen([sys.executable, "-m", "newsflow.cli", "serve", str(raw), "--curated", str(out), "--interval", str(INTERVAL)],
                                  env=env, cwd=REPO, stdout=open(logs / "serve.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
        (raw / "ferry.txt").write_text(ARTICLE)

        def published_ferry():
            store = CuratedStore(out)
            return store.current is not None and "ferry.txt" in store.read("articles", ["source_path"]).column(0).to_pylist()

        _wait("a scheduled run to publish ferry.txt", published_ferry, 300, [server, served])
        completed = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
        runs = _wait("the run to complete", lambda: _api(api, "/flow_runs/filter", completed), 120, [server, served])
        assert runs and all(r["deployment_id"] and r["auto_scheduled"] for r in runs)
        deployment = _api(api, f"/deployments/{runs[0]['deployment_id']}")
        assert deployment["name"] == "newsflow" and deployment["schedules"][0]["schedule"]["interval"] == INTERVAL
        assert deployment["parameters"]["settings"]["raw_dir"] == str(raw)
        published = CuratedStore(out).read("runs", ["files_new", "articles_written"]).to_pylist()
        assert {"files_new": 1, "articles_written": 1} in published
    finally:
        for proc in (served, server):
            if proc is not None:
                _stop(proc)
    assert served.returncode is not None and server.returncode is not None
