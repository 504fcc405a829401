"""The curated store: one publisher at a time, atomic switch, every table readable even when empty."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsflow.schema import ARTICLES, TABLES
from newsflow.store import CuratedStore, StoreError


def test_one_run_at_a_time(tmp_path):
    store = CuratedStore(tmp_path)
    with store.lock():
        with pytest.raises(StoreError, match="another newsflow run"):
            with CuratedStore(tmp_path).lock():
                pass
    with store.lock():  # released after the first run
        pass


def _articles(*ids: str) -> pa.Table:
    """Minimal article rows (with the partition column) for store tests."""
    from datetime import datetime, timezone

    now = datetime(2024, 1, 2, tzinfo=timezone.utc)
    rows = [
        {**{f.name: None for f in ARTICLES}, "article_id": i, "source_path": f"{i}.txt", "source_record": 0, "source_format": "txt",
         "content_sha256": "0" * 64, "title": i, "authors": [], "language": "en", "body": "b", "word_count": 1, "body_sha256": "0" * 64,
         "ingested_at": now, "run_id": "r", "published_at": now}
        for i in ids
    ]
    return pa.Table.from_pylist(rows, schema=ARTICLES).append_column("published_month", pa.array(["2024-01"] * len(ids)))


def test_commit_switches_atomically_and_keeps_previous_version(tmp_path):
    store = CuratedStore(tmp_path)
    first = store.stage("r1")
    first.write("articles", _articles("a1"))
    first.commit()
    assert os.readlink(tmp_path / "current") == os.path.join(".versions", "r1")
    for table, schema in TABLES.items():  # every table has a file, empty ones included
        files = store.files_of(table)
        assert files and pq.read_schema(files[0]).names == schema.names, table
    second = store.stage("r2")
    second.write("articles", _articles("a2"))
    assert os.readlink(tmp_path / "current") == os.path.join(".versions", "r1")  # staging is invisible
    assert store.read("articles", ["article_id"]).column(0).to_pylist() == ["a1"]
    second.commit(keep_versions=1)
    assert os.readlink(tmp_path / "current") == os.path.join(".versions", "r2")
    assert sorted(store.read("articles", ["article_id"]).column(0).to_pylist()) == ["a1", "a2"]
    # The earlier file is carried over as a hard link, not a copy.
    old, new = (tmp_path / ".versions" / v / "articles" / "published_month=2024-01" / "part-r1-00000.parquet" for v in ("r1", "r2"))
    assert os.stat(old).st_ino == os.stat(new).st_ino
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["r1", "r2"]
    store.stage("r3").commit(keep_versions=1)
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["r2", "r3"]
    store.stage("r4").commit(keep_versions=0)
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["r4"]


def test_retract_rewrites_only_the_new_version(tmp_path):
    store = CuratedStore(tmp_path)
    first = store.stage("r1")
    first.write("articles", _articles("a1", "a2"))
    first.commit()
    second = store.stage("r2")
    assert second.retract("articles", "article_id", {"a2", "zz"}) == 1
    assert second.read("articles", ["article_id"]).column(0).to_pylist() == ["a1"]
    assert store.read("articles", ["article_id"]).column(0).to_pylist() == ["a1", "a2"]  # published version untouched
    second.commit()
    assert store.read("articles", ["article_id"]).column(0).to_pylist() == ["a1"]


def test_files_written_before_a_column_was_added_are_carried_over_in_todays_schema(tmp_path):
    store = CuratedStore(tmp_path)
    first = store.stage("r1")
    first.write("articles", _articles("a1"))
    first.commit()
    old = store.files_of("articles")[0]
    pq.write_table(pq.read_table(old).drop_columns(["authors_flat"]), old)  # as an older version wrote it
    store.stage("r2").commit()
    carried = store.files_of("articles")[0]
    assert pq.read_schema(carried).names == ARTICLES.names and store.read("articles").column("authors_flat").to_pylist() == [None]
    pq.write_table(pq.read_table(carried).drop_columns(["title"]), carried)  # a required column missing
    with pytest.raises(StoreError, match="incompatible version"):
        store.stage("r3")


def test_a_leftover_partial_version_is_replaced(tmp_path):
    store = CuratedStore(tmp_path)
    (tmp_path / ".versions" / "r1.partial" / "junk").mkdir(parents=True)
    store.stage("r1").commit()
    assert not (tmp_path / ".versions" / "r1" / "junk").exists()


def test_a_real_folder_where_a_table_link_belongs_is_refused(tmp_path):
    (tmp_path / "articles").mkdir()
    with pytest.raises(StoreError, match="real folder"):
        CuratedStore(tmp_path).stage("r1")


def test_aborted_staging_leaves_the_published_version(tmp_path):
    store = CuratedStore(tmp_path)
    first = store.stage("r1")
    first.write("articles", _articles("a1"))
    first.commit()
    staging = store.stage("r2")
    staging.write("articles", _articles("a2"))
    assert (tmp_path / ".versions" / "r2.partial").is_dir()
    staging.abort()
    assert not (tmp_path / ".versions" / "r2.partial").exists()
    assert store.current == (tmp_path / ".versions" / "r1").resolve()
    assert store.read("articles", ["article_id"]).column(0).to_pylist() == ["a1"]
