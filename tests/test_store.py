"""The curated store: one publisher at a time, atomic switch, every table readable even when empty."""

from __future__ import annotations

import os

import pyarrow as pa
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


def test_commit_switches_atomically_and_keeps_previous_version(tmp_path):
    store = CuratedStore(tmp_path)
    first = store.stage("r1")
    first.commit()
    assert os.readlink(tmp_path / "current") == os.path.join(".versions", "r1")
    for table, schema in TABLES.items():  # empty tables still have one file with the schema
        assert store.read(table).schema.names == schema.names
    second = store.stage("r2")
    assert os.readlink(tmp_path / "current") == os.path.join(".versions", "r1")  # staging is invisible
    second.commit(keep_versions=1)
    assert os.readlink(tmp_path / "current") == os.path.join(".versions", "r2")
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["r1", "r2"]
    store.stage("r3").commit(keep_versions=1)
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["r2", "r3"]


def test_a_real_folder_where_a_table_link_belongs_is_refused(tmp_path):
    (tmp_path / "articles").mkdir()
    with pytest.raises(StoreError, match="real folder"):
        CuratedStore(tmp_path).stage("r1")


def test_aborted_staging_leaves_nothing(tmp_path):
    store = CuratedStore(tmp_path)
    staging = store.stage("r1")
    staging.write("articles", ARTICLES.empty_table().append_column("published_month", pa.array([], pa.string())))
    staging.abort()
    assert not (tmp_path / ".versions" / "r1.partial").exists() and store.current is None
