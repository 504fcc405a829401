"""Crash safety of publishing: a process killed (SIGKILL) at any step of staging or publishing leaves a curated folder
that DuckDB reads without error and that holds exactly the last complete run; the next run completes as if nothing
happened, and the lock of the killed run does not stop it. Kill points are `newsflow.crash.checkpoint`s.

Here the store is driven directly (no Prefect: a killed process costs about a second); `tests/e2e/test_crash_cli.py`
kills `newsflow run` itself at the flow's stages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from newsflow.crash import ENV
from newsflow.schema import ARTICLES, ENTITIES
from newsflow.store import DB_NAME, CuratedStore, StoreError
from tests.conftest import REPO

WHEN = datetime(2024, 3, 5, tzinfo=timezone.utc)


def _row(schema: pa.Schema, **values) -> dict:
    """A row of `schema`: the given values, a plain value of each required column's type, null elsewhere."""
    plain = {pa.types.is_string: "x", pa.types.is_integer: 1, pa.types.is_floating: 1.0, pa.types.is_boolean: False,
             pa.types.is_timestamp: WHEN, pa.types.is_list: [], pa.types.is_date: WHEN.date()}
    row = {}
    for f in schema:
        default = next((v for test, v in plain.items() if test(f.type)), None)
        row[f.name] = values.get(f.name, None if f.nullable else default)
    return row


def _articles(ids: list[str]) -> pa.Table:
    rows = [_row(ARTICLES, article_id=i, title=f"Story {i}", body=f"Body {i}.", published_at=datetime(2024, 1 + int(i[1:]) % 2, 5, tzinfo=timezone.utc)) for i in ids]
    table = pa.Table.from_pylist(rows, schema=ARTICLES)
    return table.append_column("published_month", pa.array([f"{r['published_at']:%Y-%m}" for r in rows]))


def publish(root: str, run_id: str, wanted: list[str], keep_versions: int = 0) -> None:
    """One run as the flow does it, under the lock: articles not wanted any more are retracted, new ones added
    (one file per month), `entities` rewritten whole; then commit. Idempotent: run again, it reaches the same rows."""
    store = CuratedStore(Path(root))
    with store.lock():
        staging = store.stage(run_id)
        have = set(staging.read("articles", ["article_id"]).column(0).to_pylist())
        staging.retract("articles", "article_id", have - set(wanted))
        staging.write("articles", _articles(sorted(set(wanted) - have)))
        staging.replace("entities", pa.Table.from_pylist([_row(ENTITIES, entity_id=f"e-{i}", canonical_name=i) for i in sorted(wanted)], schema=ENTITIES))
        staging.commit(keep_versions)


def _killed(root: Path, run_id: str, wanted: list[str], point: str) -> None:
    script = f"from tests.test_crash_safety import publish; publish({str(root)!r}, {run_id!r}, {wanted!r})"
    env = {**os.environ, ENV: point, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr[-2000:])


def seen(root: Path, first_run: bool = False) -> dict | None:
    """What a reader sees: through newsflow.duckdb opened read-only, and through the Parquet globs; the two must
    agree and no table may mix two runs. None when nothing is published. Only a first run killed between its
    switch and its database leaves the Parquet without the database (the next run writes it)."""
    if not (root / "current").is_symlink():
        assert not (root / "articles").exists() or not list((root / "articles").glob("**/*.parquet"))
        return None
    glob = duckdb.connect()
    by_glob = {t: sorted(r[0] for r in glob.execute(f"SELECT {c} FROM read_parquet('{root}/{t}/**/*.parquet', hive_partitioning = true)").fetchall())
               for t, c in (("articles", "article_id"), ("entities", "canonical_name"))}
    assert by_glob["articles"] == by_glob["entities"], by_glob  # both tables of one run
    if first_run and not (root / DB_NAME).exists():
        return by_glob
    con = duckdb.connect(str(root / DB_NAME), read_only=True)
    by_view = {t: sorted(r[0] for r in con.execute(f"SELECT {c} FROM {t}").fetchall()) for t, c in (("articles", "article_id"), ("entities", "canonical_name"))}
    con.close()
    assert by_view == by_glob
    return by_glob


FIRST, SECOND = ["a1", "a2", "a3"], ["a2", "a3", "a4", "a5"]
# Every step of staging and publishing a second run over a published first one; the last four are after the switch.
KILL_POINTS = ["store.staged", "store.retract", "store.write:1", "store.write:2", "store.write:3", "commit.filled", "commit.renamed",
               "commit.tmp_link", "commit.switched", "views.tmp_written", "commit.views", "commit.dropped"]
AFTER_SWITCH = {"commit.switched", "views.tmp_written", "commit.views", "commit.dropped"}
# A first run (nothing published yet): between the table links, around the switch, before the database exists.
FIRST_RUN_POINTS = ["store.write:1", "commit.renamed", "commit.table_link:1", "commit.table_link:6", "commit.tmp_link", "commit.switched", "views.tmp_written"]


def _uninterrupted(tmp_path: Path) -> dict:
    clean = tmp_path / "clean"
    publish(str(clean), "20240101T000000Z-000001", FIRST)
    publish(str(clean), "20240101T000000Z-000003", SECOND)
    return seen(clean)


def _after_recovery(root: Path) -> dict:
    publish(str(root), "20240101T000000Z-000003", SECOND)
    versions = sorted(p.name for p in (root / ".versions").iterdir())
    assert versions == ["20240101T000000Z-000003"]  # nothing the killed run left behind survives the next one
    assert not list(root.glob(".current.*")) and not (root / f".{DB_NAME}.tmp").exists()
    return seen(root)


def test_a_run_killed_at_any_publishing_step_leaves_the_last_complete_run(tmp_path):
    expected = _uninterrupted(tmp_path)
    assert expected["articles"] == SECOND
    for n, point in enumerate(KILL_POINTS):
        root = tmp_path / f"k{n}"
        publish(str(root), "20240101T000000Z-000001", FIRST)
        _killed(root, "20240101T000000Z-000002", SECOND, point)
        assert (root / ".lock").exists()
        assert seen(root)["articles"] == (SECOND if point in AFTER_SWITCH else FIRST), point
        assert _after_recovery(root) == expected, point  # the killed run's lock did not block it


def test_a_first_run_killed_at_any_publishing_step_leaves_nothing_or_all(tmp_path):
    expected = _uninterrupted(tmp_path)
    for n, point in enumerate(FIRST_RUN_POINTS):
        root = tmp_path / f"f{n}"
        _killed(root, "20240101T000000Z-000002", SECOND, point)
        snapshot = seen(root, first_run=True)
        assert (snapshot and snapshot["articles"]) == (SECOND if point in AFTER_SWITCH else None), point
        assert _after_recovery(root) == expected, point


def test_a_partition_value_or_run_id_cannot_lead_out_of_the_folder(tmp_path):
    store = CuratedStore(tmp_path / "out")
    staging = store.stage("r1")
    for month in ("../../escaped", "..", "2024/../../x", "/etc", ""):
        table = _articles(["a1"]).drop_columns(["published_month"]).append_column("published_month", pa.array([month]))
        with pytest.raises(StoreError, match="cannot be a file or folder name"):
            staging.write("articles", table)
    for run_id in ("../r2", "r/2", ".."):
        with pytest.raises(StoreError, match="cannot be a file or folder name"):
            store.stage(run_id)
    staging.commit()
    written = {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*")}
    assert written == {"out"} and not list(tmp_path.rglob("*escaped*"))
    assert json.loads(json.dumps(seen(tmp_path / "out"))) == {"articles": [], "entities": []}
