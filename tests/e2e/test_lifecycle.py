"""Data that stays right over time, end to end through the CLI: fixed, changed and re-extracted inputs, record-level
quarantine, lineage, relative output folders."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.conftest import SAMPLES

pytestmark = pytest.mark.e2e

PORT = {"title": "Port strike ends", "text": "Dock workers in Mombasa returned to work on Monday after a week-long strike, the union said.", "date": "2024-03-04"}
FERRY = {"title": "Ferry fares rise", "text": "The Harbour Board in Wellington raised ferry fares by ten percent on Tuesday, its chairman said.", "date": "2024-03-05"}
MARKET = {"title": "Market reopens", "text": "The covered market in Porto reopened on Friday after repairs to its roof, the city council said.", "date": "2024-03-08"}


@pytest.fixture(scope="module")
def cli(prefect_harness):
    from newsflow.cli import app

    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, [*map(str, args)])
        assert result.exit_code == code, result.output + repr(result.exception)
        return result

    return invoke


def q(out: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(out / "newsflow.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def test_a_fixed_file_is_read_again_and_publishes(cli, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "port.jsonl").write_text(jsonl(PORT))
    (raw / "broken.json").write_text('{"title": "Ferry fares rise", "text": ')
    cli("run", raw, "--curated", out, "--no-progress")
    assert q(out, "SELECT source_path, reason FROM quarantine") == [("broken.json", "malformed_file")]
    (raw / "broken.json").write_text(json.dumps(FERRY))  # the user fixes the file
    cli("run", raw, "--curated", out, "--no-progress")
    assert sorted(q(out, "SELECT source_path, title FROM articles")) == [("broken.json", "Ferry fares rise"), ("port.jsonl", "Port strike ends")]
    assert q(out, "SELECT count(*) FROM quarantine") == [(0,)]  # the old rejection went with the old bytes
    assert q(out, "SELECT outcome FROM lineage WHERE source_path = 'broken.json'") == [("article",)]


def test_a_record_dated_hours_ahead_is_accepted_and_days_ahead_quarantined(cli, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    now = datetime.now(timezone.utc)
    soon = dict(PORT, date=(now + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    later = dict(FERRY, date=(now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    (raw / "wire.jsonl").write_text(jsonl(soon, later, MARKET))
    cli("run", raw, "--curated", out, "--no-progress")
    assert sorted(q(out, "SELECT source_record FROM articles")) == [(0,), (2,)]  # within the documented day
    assert q(out, "SELECT source_record, reason FROM quarantine") == [(1, "implausible_date")]


def test_a_changed_file_leaves_one_live_version_with_its_extraction(cli, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "port.jsonl").write_text(jsonl(PORT, MARKET))
    cli("run", raw, "--curated", out, "--no-progress")
    (old_id,) = q(out, "SELECT article_id FROM articles WHERE source_record = 0")[0]
    assert q(out, f"SELECT count(*) FROM mentions WHERE article_id = '{old_id}'")[0][0] > 0
    changed = dict(PORT, text=PORT["text"].replace("Monday", "Tuesday").replace("week-long", "nine-day"))
    (raw / "port.jsonl").write_text(jsonl(changed, MARKET))
    result = cli("run", raw, "--curated", out, "--no-progress")
    assert "articles replaced" in result.output
    live = q(out, "SELECT source_record, body FROM articles ORDER BY source_record")
    assert [r[0] for r in live] == [0, 1] and "Tuesday" in live[0][1]
    assert q(out, f"SELECT count(*) FROM mentions WHERE article_id = '{old_id}'") == [(0,)]
    assert q(out, "SELECT count(*) FROM mentions WHERE article_id NOT IN (SELECT article_id FROM articles)") == [(0,)]
    assert q(out, "SELECT count(*) FROM mentions m JOIN articles a USING (article_id) WHERE m.text = 'Tuesday'")[0][0] == 1
    # entities follow: no entity is counted from the retracted version.
    # (a group's root row counts the whole group; merged rows count their own share)
    assert q(out, "SELECT sum(mention_count) FROM entities WHERE merged_into IS NULL") == q(out, "SELECT count(*) FROM mentions WHERE entity_id IS NOT NULL")
    assert q(out, "SELECT count(*) FROM lineage") == [(2,)]
    # A file removed from RAW keeps its articles.
    (raw / "port.jsonl").unlink()
    (raw / "other.jsonl").write_text(jsonl(FERRY))
    cli("run", raw, "--curated", out, "--no-progress")
    assert q(out, "SELECT count(*) FROM articles") == [(3,)]


def test_extraction_off_then_reextract_equals_a_fresh_run(cli, tmp_path, monkeypatch):
    raw, fresh, late = tmp_path / "raw", tmp_path / "fresh", tmp_path / "late"
    raw.mkdir()
    (raw / "wire.jsonl").write_text(jsonl(PORT, FERRY, MARKET))
    cli("run", raw, "--curated", fresh, "--no-progress")
    monkeypatch.setenv("NEWSFLOW_EXTRACT", "false")
    result = cli("run", raw, "--curated", late, "--no-progress")
    assert "newsflow reextract" in result.output  # the run says how many articles are stale
    assert q(late, "SELECT count(*) FROM mentions") == [(0,)] and q(late, "SELECT articles_stale FROM runs") == [(3,)]
    monkeypatch.delenv("NEWSFLOW_EXTRACT")
    cli("reextract", "--curated", late, "--no-progress")
    for table, key in (("mentions", "mention_id"), ("entities", "entity_id"), ("quotes", "quote_id"), ("events", "event_id")):
        assert q(late, f"SELECT * FROM {table} ORDER BY {key}") == q(fresh, f"SELECT * FROM {table} ORDER BY {key}"), table
    assert q(late, "SELECT articles_stale FROM runs ORDER BY started_at") == [(3,), (0,)]
    # Nothing stale: a second reextract changes no row.
    before = q(late, "SELECT * FROM mentions ORDER BY mention_id")
    cli("reextract", "--curated", late, "--no-progress")
    assert q(late, "SELECT * FROM mentions ORDER BY mention_id") == before


def test_a_record_level_failure_quarantines_that_article_only(cli, tmp_path, monkeypatch):
    """A planted bad offset in one article's mentions: that article goes to quarantine naming the expectation."""
    import flows.tasks

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "wire.jsonl").write_text(jsonl(PORT, FERRY, MARKET))
    real = flows.tasks.build_extraction_tables

    def corrupt(results):  # called once per chunk of articles: the chunk with the ferry story gets the bug
        tables = real(results)
        mentions = tables["mentions"].to_pylist()
        for victim in (m for m in mentions if m["text"] == "Wellington"):
            victim["end_char"] += 3  # the text no longer equals the slice
            corrupted.append(victim["article_id"])
        tables["mentions"] = tables["mentions"].from_pylist(mentions, schema=tables["mentions"].schema)
        return tables

    corrupted: list[str] = []

    monkeypatch.setattr(flows.tasks, "build_extraction_tables", corrupt)
    cli("run", raw, "--curated", out, "--no-progress")
    assert len(set(corrupted)) == 1
    assert sorted(q(out, "SELECT title FROM articles")) == [("Market reopens",), ("Port strike ends",)]
    ((record, reason, detail),) = q(out, "SELECT source_record, reason, detail FROM quarantine")
    assert (record, reason) == (1, "failed_validation") and "mentions.offsets_exact expect_column_values_to_be_in_set" in detail
    assert q(out, "SELECT count(*) FROM mentions WHERE article_id NOT IN (SELECT article_id FROM articles)") == [(0,)]
    assert sorted(q(out, "SELECT source_record, outcome FROM lineage")) == [(0, "article"), (1, "quarantined"), (2, "article")]
    # The bug fixed, an ordinary run leaves the file alone; --retry-failed reads it again and the record publishes.
    monkeypatch.undo()
    cli("run", raw, "--curated", out, "--no-progress")
    assert q(out, "SELECT count(*) FROM articles") == [(2,)]
    cli("run", raw, "--curated", out, "--no-progress", "--retry-failed")
    assert q(out, "SELECT count(*) FROM articles") == [(3,)] and q(out, "SELECT count(*) FROM quarantine") == [(0,)]
    assert sorted(q(out, "SELECT source_record, outcome FROM lineage")) == [(0, "article"), (1, "article"), (2, "article")]


def test_two_runs_into_a_relative_folder_keep_the_previous_version(cli, tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "port.jsonl").write_text(jsonl(PORT))
    monkeypatch.chdir(tmp_path)
    cli("run", "raw", "--curated", "out", "--no-progress")
    first = os.readlink(tmp_path / "out" / "current")
    (raw / "ferry.jsonl").write_text(jsonl(FERRY))
    cli("run", "raw", "--curated", "out", "--no-progress")
    versions = sorted(p.name for p in (tmp_path / "out" / ".versions").iterdir())
    assert len(versions) == 2 and os.path.basename(first) in versions
    assert os.readlink(tmp_path / "out" / "current") != first


def test_every_record_is_accounted_for(samples_run):
    summary, out = samples_run
    outcomes = dict(q(out, "SELECT outcome, count(*) FROM lineage GROUP BY ALL"))
    # data/SAMPLES.md: 21 articles, 1 exact duplicate, 12 rejected inputs. Of the two identical Mombasa files the
    # first in path order (copy_of_...) is the article, the other the duplicate.
    assert outcomes == {"article": 21, "duplicate": 1, "quarantined": 12}
    assert summary.records_seen == sum(outcomes.values())
    assert q(out, "SELECT records_seen, articles_written + duplicates_merged + quarantined FROM runs") == [(34, 34)]
    assert q(out, "SELECT count(*) FROM lineage l JOIN articles a USING (article_id) WHERE l.outcome = 'duplicate'") == [(1,)]
    assert q(out, "SELECT source_path FROM lineage WHERE outcome = 'duplicate'") == [("text/mombasa_port_strike.txt",)]


def test_a_duplicate_of_a_replaced_article_becomes_the_article(cli, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "a.jsonl").write_text(jsonl(PORT))
    (raw / "b.jsonl").write_text(jsonl(PORT))  # the same story again
    cli("run", raw, "--curated", out, "--no-progress")
    assert sorted(q(out, "SELECT source_path, outcome FROM lineage")) == [("a.jsonl", "article"), ("b.jsonl", "duplicate")]
    (raw / "a.jsonl").write_text(jsonl(FERRY))
    cli("run", raw, "--curated", out, "--no-progress")
    assert sorted(q(out, "SELECT source_path, title FROM articles")) == [("a.jsonl", "Ferry fares rise"), ("b.jsonl", "Port strike ends")]
    assert sorted(q(out, "SELECT source_path, outcome FROM lineage")) == [("a.jsonl", "article"), ("b.jsonl", "article")]
