"""Shards as independent tasks: on a two-worker local Dask cluster the run publishes exactly the rows and ids of the
default runner, with duplicates across shards settled in shard order."""

from __future__ import annotations

from newsflow.schema import TABLES
from newsflow.store import CuratedStore
from tests.conftest import SAMPLES

RUN_SPECIFIC = {"run_id", "ingested_at", "quarantined_at", "started_at", "finished_at"}


def _rows(out) -> dict[str, list]:
    """Every published table's rows, sorted, without the columns that name the run or its clock."""
    store = CuratedStore(out)
    tables = {}
    for name in TABLES:
        table = store.read(name)
        table = table.select([c for c in table.column_names if c not in RUN_SPECIFIC])
        tables[name] = sorted(table.to_pylist(), key=repr)
    return tables


SHARD = 10


def test_dask_runner_publishes_the_rows_of_the_default_runner(samples_run, run_flow, tmp_path):
    """The default runner's one-shard run of the samples against three shards on two Dask workers."""
    default, default_out = samples_run
    dask = run_flow(SAMPLES, tmp_path / "dask", shard_size=SHARD, task_runner="dask", workers=2)
    assert default.published and dask.published
    assert dask.duplicates_merged == default.duplicates_merged > 0
    expected, got = _rows(default_out), _rows(tmp_path / "dask")
    for name in TABLES:
        assert got[name] == expected[name], name
    assert all(expected[t] for t in ("articles", "mentions", "entities", "quotes", "lineage", "quarantine"))
    # a cross-shard duplicate: a lineage row says `duplicate` of an article read from a file in an earlier shard
    files = sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.is_file())
    shard_of = {path: i // SHARD for i, path in enumerate(files)}
    first = {r["article_id"]: r["source_path"] for r in expected["articles"]}
    assert any(r["outcome"] == "duplicate" and shard_of[first[r["article_id"]]] < shard_of[r["source_path"]] for r in expected["lineage"])
