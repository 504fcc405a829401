"""End to end: the Prefect flow and the CLI on the bundled samples, reruns, determinism, the validation gate."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from newsflow.schema import PARTITIONED, TABLES
from tests.conftest import SAMPLES

pytestmark = pytest.mark.e2e

EXPECTED_QUARANTINE = {
    ("bad/bad_rows.csv", 1, "no_body"),
    ("bad/bad_rows.csv", 2, "bad_date"),
    ("bad/blank.txt", None, "empty_file"),
    ("bad/broken.json", None, "malformed_file"),
    ("bad/broken.jsonl", 1, "malformed_record"),
    ("bad/broken.jsonl", 2, "no_body"),
    ("bad/corrupt.jsonl.gz", None, "bad_gzip"),
    ("bad/empty.txt", None, "empty_file"),
    ("bad/future.jsonl", 0, "implausible_date"),
    ("bad/headline_only.txt", 0, "no_body"),
    ("bad/image.txt", None, "binary_file"),
    ("bad/notes.docx", None, "unsupported_format"),
}
RUN_METADATA = {"run_id", "ingested_at", "quarantined_at"}


def rows(out: Path, table: str, order: str) -> list[dict]:
    glob = f"{out}/{table}/**/*.parquet"
    return duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true) ORDER BY {order}").to_arrow_table().to_pylist()


def strip_run_metadata(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in RUN_METADATA} for r in records]


def test_samples_run_publishes_every_good_record(samples_run):
    summary, out = samples_run
    assert summary.published
    assert summary.files_seen == 24 and summary.articles_written == 21 and summary.duplicates_merged == 1
    quarantined = {(r["source_path"], r["source_record"], r["reason"]) for r in rows(out, "quarantine", "source_path")}
    assert quarantined == EXPECTED_QUARANTINE
    articles = rows(out, "articles", "article_id")
    keys = {(a["source_path"], a["source_record"]) for a in articles}
    # The good record beside a bad one survives; no quarantined input is an article.
    assert ("bad/broken.jsonl", 0) in keys and ("bad/bad_rows.csv", 0) in keys
    assert not keys & {(p, r) for p, r, _ in quarantined}
    assert {a["source_format"] for a in articles} == {"txt", "jsonl", "json", "csv", "html"}
    langs = {a["source_path"]: a["language"] for a in articles}
    assert langs["jsonl/foreign.jsonl"] == "es" and langs["text/geneva_sudan_talks.txt"] == "en"
    latin = next(a for a in articles if a["source_path"] == "text/latin1_market.txt")
    assert "£" in latin["body"] and "é" in latin["body"]


def test_mentions_point_into_their_articles_and_entities_cover_them(samples_run):
    _summary, out = samples_run
    con = duckdb.connect(str(out / "newsflow.duckdb"), read_only=True)
    bad = con.execute(
        """SELECT count(*) FROM mentions m JOIN articles a USING (article_id)
           WHERE substr(CASE m.field WHEN 'title' THEN a.title WHEN 'caption' THEN a.caption ELSE a.body END,
                        m.start_char + 1, m.end_char - m.start_char) <> m.text"""
    ).fetchone()[0]
    assert bad == 0
    assert con.execute("SELECT count(*) FROM mentions WHERE article_id NOT IN (SELECT article_id FROM articles)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM mentions WHERE entity_id NOT IN (SELECT entity_id FROM entities)").fetchone()[0] == 0
    # Articles not in English keep their row and have no mentions.
    assert con.execute("SELECT count(*) FROM mentions JOIN articles USING (article_id) WHERE language <> 'en'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM mentions").fetchone()[0] > 300
    # Laura Pike appears in two articles: one entity with both.
    (articles_with_pike,) = con.execute("SELECT article_count FROM entities WHERE canonical_name = 'Laura Pike'").fetchone()
    assert articles_with_pike == 2
    con.close()


def test_every_table_reads_with_one_schema_in_duckdb_and_sqlalchemy(samples_run):
    _summary, out = samples_run
    for table, schema in TABLES.items():
        files = list((out / table).rglob("*.parquet"))
        assert files, table
        for f in files:
            assert pq.read_schema(f).remove_metadata() == schema.remove_metadata(), f
        con = duckdb.connect(str(out / "newsflow.duckdb"), read_only=True)
        view_cols = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
        expected = schema.names + (["published_month"] if table in PARTITIONED else [])
        assert view_cols == expected
        con.close()
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"duckdb:///{out / 'newsflow.duckdb'}", connect_args={"read_only": True})
    with engine.connect() as c:
        n = c.execute(sqlalchemy.text("SELECT count(*) FROM articles WHERE published_month <> 'unknown'")).scalar()
    assert n == 17  # four samples carry no date


def test_second_run_adds_nothing_and_changes_no_row(run_flow, samples_run, tmp_path):
    out = tmp_path / "curated"
    first = run_flow(SAMPLES, out)
    before = {t: rows(out, t, "ALL") for t in ("articles", "quarantine", "mentions", "entities")}
    second = run_flow(SAMPLES, out)
    assert first.published and second.published
    assert second.files_new == 0 and second.articles_written == 0 and second.quarantined == 0
    assert {t: rows(out, t, "ALL") for t in ("articles", "quarantine", "mentions", "entities")} == before
    assert [r["articles_written"] for r in rows(out, "runs", "started_at")] == [21, 0]
    # Only the current and one previous version are kept: a third run drops the first.
    assert sorted(p.name for p in (out / ".versions").iterdir()) == sorted([first.run_id, second.run_id])
    third = run_flow(SAMPLES, out)
    assert sorted(p.name for p in (out / ".versions").iterdir()) == sorted([second.run_id, third.run_id])


def test_two_fresh_outputs_hold_identical_rows(run_flow, samples_run, tmp_path):
    _summary, out1 = samples_run
    out2 = tmp_path / "again"
    run_flow(SAMPLES, out2)
    for table, order in (("articles", "article_id"), ("quarantine", "source_path, source_record"), ("mentions", "mention_id"), ("entities", "entity_id")):
        assert strip_run_metadata(rows(out1, table, order)) == strip_run_metadata(rows(out2, table, order))


def test_failed_validation_blocks_publishing_and_keeps_previous_data(run_flow, tmp_path, monkeypatch):
    out = tmp_path / "curated"
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "one.txt").write_text("Bridge opens\n\nThe new bridge opened to traffic on Monday morning.")
    assert run_flow(raw, out).published
    current = os.readlink(out / "current")
    before = rows(out, "articles", "article_id")
    (raw / "two.txt").write_text("Library closes\n\nThe old library closed its doors for renovation.")
    (raw / "three.txt").write_text("Pool reopens\n\nThe town pool reopened after a year of repairs.")
    # A bug that gives two articles one id: uniqueness of article_id is table-level, so nothing publishes.
    monkeypatch.setattr("transforms.articles.article_id_for", lambda content_sha: "f" * 20)
    summary = run_flow(raw, out)
    assert not summary.published
    assert any("articles.article_id expect_column_values_to_be_unique" in f for f in summary.failures)
    assert os.readlink(out / "current") == current and rows(out, "articles", "article_id") == before
    report = json.loads((out / "_runs" / summary.run_id / "validation.json").read_text())
    assert report["success"] is False and any("article_id expect_column_values_to_be_unique" in f for f in report["failures"])
    assert not list((out / ".versions").glob("*.partial"))


def test_a_record_level_failure_publishes_the_rest(run_flow, tmp_path, monkeypatch):
    out = tmp_path / "curated"
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "one.txt").write_text("Bridge opens\n\nThe new bridge opened to traffic on Monday morning.")
    (raw / "two.txt").write_text("Library closes\n\nThe old library closed its doors for renovation.")
    real = __import__("transforms.articles", fromlist=["word_count"]).word_count
    monkeypatch.setattr("transforms.articles.word_count", lambda text: 0 if "library" in text else real(text))
    summary = run_flow(raw, out)
    assert summary.published and summary.failed_validation == 1
    assert [r["source_path"] for r in rows(out, "articles", "article_id")] == ["one.txt"]
    (q,) = rows(out, "quarantine", "source_path")
    assert (q["source_path"], q["reason"]) == ("two.txt", "failed_validation")
    assert "articles.word_count expect_column_values_to_be_between" in q["detail"]


def test_cli_run_and_query_on_bundled_samples(prefect_harness, tmp_path):
    from newsflow.cli import app

    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(app, ["run", str(SAMPLES), "--curated", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "articles written" in result.output and "published" in result.output
    result = runner.invoke(app, ["query", "--curated", str(out), "SELECT 'n=' || count(*) AS n FROM articles"])
    assert result.exit_code == 0 and "n=21" in result.output
    assert runner.invoke(app, ["run", str(tmp_path / "missing"), "--curated", str(out)]).exit_code == 2


def test_many_small_shards_give_the_rows_of_one(run_flow, samples_run, tmp_path):
    """Shards of three files: duplicates across shards still merge, entities are built across shards, and every
    table holds the same rows as the one-shard run."""
    _summary, one = samples_run
    many = tmp_path / "many"
    summary = run_flow(SAMPLES, many, shard_size=3)
    assert summary.published and summary.duplicates_merged == 1
    for table, order in (("articles", "article_id"), ("quarantine", "source_path, source_record"), ("mentions", "mention_id"),
                         ("entities", "entity_id"), ("quotes", "quote_id"), ("events", "event_id"), ("lineage", "source_path, source_record")):
        assert strip_run_metadata(rows(one, table, order)) == strip_run_metadata(rows(many, table, order)), table


SHARD = 21  # two shards: the samples' copy of a story is in the first, the story itself in the second


def test_shards_on_two_dask_workers_give_the_rows_of_the_default_runner(run_flow, samples_run, tmp_path):
    """Shards as tasks on a local two-worker Dask cluster (the model loaded in each worker): the same rows and ids
    as the default runner's one-shard run, the duplicate across shards settled in shard order."""
    default, one = samples_run
    summary = run_flow(SAMPLES, tmp_path / "dask", shard_size=SHARD, task_runner="dask", workers=2)
    assert summary.published and summary.duplicates_merged == default.duplicates_merged == 1
    assert (summary.articles_written, summary.mentions_written, summary.rows) == (default.articles_written, default.mentions_written, default.rows)
    for table, order in (("articles", "article_id"), ("quarantine", "source_path, source_record"), ("mentions", "mention_id"),
                         ("entities", "entity_id"), ("quotes", "quote_id"), ("events", "event_id"), ("lineage", "source_path, source_record")):
        assert strip_run_metadata(rows(one, table, order)) == strip_run_metadata(rows(tmp_path / "dask", table, order)), table
    files = sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*") if p.is_file())
    shard_of = {path: i // SHARD for i, path in enumerate(files)}
    first = {r["article_id"]: r["source_path"] for r in rows(one, "articles", "article_id")}
    (duplicate,) = [r for r in rows(one, "lineage", "source_path") if r["outcome"] == "duplicate"]
    assert shard_of[first[duplicate["article_id"]]] < shard_of[duplicate["source_path"]]


def test_a_failed_run_releases_the_lock(run_flow, tmp_path, monkeypatch):
    from newsflow.store import CuratedStore

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "one.txt").write_text("Bridge opens\n\nThe new bridge opened to traffic on Monday morning.")
    (raw / "two.txt").write_text("Pool reopens\n\nThe town pool reopened after a year of repairs.")
    monkeypatch.setattr("transforms.articles.article_id_for", lambda content_sha: "f" * 20)
    assert not run_flow(raw, tmp_path / "out").published
    with CuratedStore(tmp_path / "out").lock():  # not left held by the failed run
        pass
    monkeypatch.undo()
    assert run_flow(raw, tmp_path / "out").published


def _entity_inodes(out: Path) -> set[int]:
    return {p.stat().st_ino for p in (out / "current" / "entities").rglob("*.parquet")}


def test_a_run_with_nothing_new_reads_no_shard_and_carries_entities_over(run_flow, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "curated"
    raw.mkdir()
    (raw / "one.txt").write_text("Ferry returns\n\nThe Island Ferry Company restored its morning crossing to Port Ellen on Monday.")
    first = run_flow(raw, out)
    entities = rows(out, "entities", "entity_id")
    inodes = _entity_inodes(out)
    assert first.published and entities and {"read", "parse", "articles", "extract", "validate", "stage", "publish"} <= set(first.stage_seconds)
    second = run_flow(raw, out)
    assert second.published and second.files_new == 0
    # no shard task ran, and entities were linked from the previous version, not rebuilt
    assert not {"read", "parse", "articles", "extract", "stage"} & set(second.stage_seconds)
    assert _entity_inodes(out) == inodes and rows(out, "entities", "entity_id") == entities
    assert [r["rows_entities"] for r in rows(out, "runs", "started_at")] == [len(entities)] * 2
    # a new file changes mentions: entities are built again, from all of them
    (raw / "two.txt").write_text("Ferry fares rise\n\nThe Island Ferry Company raised its fares to Port Ellen by a tenth.")
    third = run_flow(raw, out)
    assert third.published and third.files_new == 1 and _entity_inodes(out).isdisjoint(inodes)
    company = [e for e in rows(out, "entities", "entity_id") if "Island Ferry" in e["canonical_name"]]
    assert company and company[0]["mention_count"] == 2
