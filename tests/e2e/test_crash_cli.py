"""`newsflow run` killed (SIGKILL) while reading, parsing, extracting, validating, staging and publishing, with a
reader process querying the curated folder all along; and a second run refused while one holds the folder.

After every kill DuckDB reads the folder without error and sees exactly the last complete run; the next run
completes and its rows equal those of runs never interrupted; the reader never sees anything else, never fails, and
never stops a run. The publishing steps one by one are killed in `tests/test_crash_safety.py` (cheaper there)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from newsflow.crash import ENV
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

# One kill point per stage of the flow: reading (task names), NLP, validation, and publishing after the staged
# version is complete and renamed, just before the switch. Each costs a CLI start (about 15 s); every step of
# publishing is killed against the store in `tests/test_crash_safety.py`.
KILL_POINTS = ["parse-raw-files", "extract-mentions-quotes-events", "validate-tables", "commit.renamed"]
# Columns that name the run or its clock: they differ between any two runs.
RUN_COLUMNS = {"run_id", "ingested_at", "quarantined_at", "started_at", "finished_at", "seconds", "raw_dir"}
TABLES = ["articles", "mentions", "entities", "quotes", "events", "quarantine", "lineage"]

FIRST = {
    "harbour.jsonl": [{"title": "Ferry pier reopens", "text": "The ferry pier in Tartu reopened on Monday, the port authority said.", "date": "2024-04-01"},
                      {"title": "Night market moves", "text": "\"We needed more room,\" said Lena Kask, who runs the night market in Tartu.", "date": "2024-04-02"}],
    "council.txt": "Council approves budget\n\nThe city council of Hobart approved its budget on Tuesday after a long debate.",
}
SECOND = {
    "bridge.jsonl": [{"title": "Bridge closes for repairs", "text": "The river bridge in Cusco will close for repairs in June, officials said.", "date": "2024-05-03"},
                     {"title": "", "text": ""}],
    "school.txt": "School roof fixed\n\nWorkers in Windhoek fixed the school roof on Friday, the ministry said.",
    "broken.json": "{not json",
}


def _write(raw: Path, files: dict) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = "\n".join(json.dumps(r) for r in content) + "\n" if isinstance(content, list) else content
        (raw / name).write_text(text)


def _rows(out: Path) -> dict[str, list]:
    """Every table's rows without the run's own columns, sorted: what two equivalent runs must share."""
    con = duckdb.connect(str(out / "newsflow.duckdb"), read_only=True)
    rows = {}
    for table in TABLES:
        columns = [c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE {table})").fetchall() if c not in RUN_COLUMNS]
        rows[table] = sorted(map(repr, con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()))
    con.close()
    return rows


READER = """
import sys, time, duckdb, json, pathlib
out, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
seen, errors, queries = {"runs": set(), "articles": set(), "lineage": set()}, [], 0
while not stop.exists():
    try:
        con = duckdb.connect(str(out / "newsflow.duckdb"), read_only=True)
        seen["runs"].add(con.execute("SELECT count(*), arg_max(rows_articles, finished_at) FROM runs").fetchone())
        seen["articles"].add(con.execute("SELECT count(*), count(DISTINCT run_id) FROM articles").fetchone())
        con.close()
        seen["lineage"].add(duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{out}/lineage/**/*.parquet')").fetchone())
        queries += 3
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.02)
print(json.dumps({"seen": {k: sorted(v) for k, v in seen.items()}, "errors": errors[:5], "queries": queries}))
"""


@pytest.fixture(scope="module")
def cli_env(prefect_harness):
    """The CLI's environment, on the test session's Prefect API (no temporary server per run)."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(REPO)}


def _cli(env: dict, raw: Path, out: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**env, ENV: kill_at} if kill_at else env
    command = [sys.executable, "-m", "newsflow.cli", "run", str(raw), "--curated", str(out), "--no-progress"]
    proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        try:  # anything the killed run started (its own process group) goes with it
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)


def test_killed_runs_leave_the_last_complete_run_and_the_next_run_completes(run_flow, cli_env, tmp_path):
    raw_first, raw, out, clean = tmp_path / "raw1", tmp_path / "raw", tmp_path / "out", tmp_path / "clean"
    _write(raw_first, FIRST)
    _write(raw, {**FIRST, **SECOND})
    assert run_flow(raw, clean).published  # never interrupted
    assert run_flow(raw_first, out).published
    before = _rows(out)
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(out), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        for point in KILL_POINTS:
            done = _cli(cli_env, raw, out, point)
            assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr[-3000:])
            assert _rows(out) == before, point  # exactly the last complete run
        assert run_flow(raw, out).published  # the killed runs' lock and leftovers do not stop the next run
    finally:
        stop.touch()
        report = json.loads(reader.communicate(timeout=60)[0])
    after = _rows(out)
    assert after == _rows(clean) and after != before
    assert sorted(p.name for p in (out / ".versions").iterdir() if p.name.endswith(".partial")) == []
    # Each query saw one run's whole table: the first run's, then (after the last run's switch) the last run's.
    assert report["errors"] == [] and report["queries"] > 20
    first = {"runs": [1, len(before["articles"])], "articles": [len(before["articles"]), 1], "lineage": [len(before["lineage"])]}
    last = {"runs": [2, len(after["articles"])], "articles": [len(after["articles"]), 2], "lineage": [len(after["lineage"])]}
    for table, states in report["seen"].items():
        assert states[0] == first[table] and set(map(tuple, states)) <= {tuple(first[table]), tuple(last[table])}, (table, states)


def test_a_second_run_on_a_folder_in_use_is_refused_at_once(cli_env, tmp_path):
    """A run holds the folder (a process holding the lock, as a run does while it works): a second `newsflow run`
    stops before the flow's start-up with a clear message; once the holder is killed the folder is free."""
    from newsflow.store import CuratedStore

    raw, out, ready = tmp_path / "raw", tmp_path / "out", tmp_path / "holding"
    _write(raw, FIRST)
    hold = f"""
import pathlib, time
from newsflow.store import CuratedStore
with CuratedStore(pathlib.Path({str(out)!r})).lock():
    pathlib.Path({str(ready)!r}).touch()
    time.sleep(300)
"""
    holder = subprocess.Popen([sys.executable, "-c", hold], env=cli_env, cwd=REPO)
    try:
        while not ready.exists():
            assert holder.poll() is None
            time.sleep(0.05)
        started = time.monotonic()
        refused = _cli(cli_env, raw, out)
        assert refused.returncode == 2 and "another newsflow run is publishing" in refused.stderr, refused.stderr[-2000:]
        assert time.monotonic() - started < 60 and not (out / "current").exists()
    finally:
        holder.kill()
        holder.wait()
    with CuratedStore(out).lock():  # the holder killed, its lock went with it
        pass
