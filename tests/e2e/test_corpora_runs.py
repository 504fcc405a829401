"""Golden runs on real news from ../shared/corpora: must-have fields and counts."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime, timezone

import duckdb
import pytest

from tests.conftest import CORPORA, needs_corpora

pytestmark = [pytest.mark.e2e, pytest.mark.corpora, needs_corpora]


def articles(out):
    return duckdb.sql(f"SELECT * FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning = true)").to_arrow_table().to_pylist()


def test_seed_header_fields(run_flow, tmp_path):
    out = tmp_path / "seed"
    assert run_flow(CORPORA / "seed", out).published
    (a,) = articles(out)
    assert a["title"] == "Biden and Putin to Talk Thursday"
    assert a["authors"] == ["Nick Ciolino"]
    assert a["published_at"] == datetime(2021, 12, 29, tzinfo=timezone.utc)
    assert a["updated_at"] == datetime(2021, 12, 29, tzinfo=timezone.utc)
    assert a["caption"].startswith("Russian President Vladimir Putin") and a["caption"].endswith("2021.")
    assert a["image_credit"] == "Mikhail Metzel/Sputnik/AFP via Getty Images"
    assert a["body"].startswith("President Joe Biden has scheduled")
    assert "\u00a0" not in a["body"] and "Nick Ciolino" not in a["body"] and "Updated:" not in a["body"]
    assert a["published_month"] == "2021-12" and a["language"] == "en"


def test_bbc_news_all_files_with_duplicates_merged(run_flow, tmp_path):
    # Reader and articles checks: extraction off keeps this golden run fast (mentions are tested on the seed and samples).
    summary = run_flow(CORPORA / "bbc-news", tmp_path / "bbc", extract=False)
    assert summary.published
    assert summary.files_seen == 2225 and summary.quarantined == 0
    assert summary.duplicates_merged == 98 and summary.articles_written == 2127
    rows = articles(tmp_path / "bbc")
    assert all(r["authors"] == [] and r["published_at"] is None for r in rows)
    sport = next(r for r in rows if r["source_path"] == "sport/199.txt")
    assert "£" in sport["body"]  # the one Latin-1 byte


def test_polnear_titles_and_no_guessed_authors_or_dates(run_flow, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for split in ("train", "dev"):  # copied, not linked: links leading out of RAW are never followed
        shutil.copytree(CORPORA / "polnear" / split / "text", raw / split)
    summary = run_flow(raw, tmp_path / "out", extract=False)
    assert summary.published and summary.files_seen == 924
    meta = {r["filename"]: r for r in csv.DictReader(open(CORPORA / "polnear" / "metadata.tsv"), delimiter="\t")}
    rows = articles(tmp_path / "out")
    # one article per file; the only merge is a pair of byte-identical files
    assert len(rows) + summary.duplicates_merged == 924 and summary.duplicates_merged == 1
    exact = sum(r["title"] == meta[r["source_path"].rsplit("/", 1)[1][:-4]]["title"] for r in rows)
    truncated = sum(meta[r["source_path"].rsplit("/", 1)[1][:-4]]["title"].startswith(r["title"] + ";") for r in rows)
    assert exact / len(rows) >= 0.82 and (exact + truncated) / len(rows) >= 0.99
    assert all(r["authors"] == [] and r["published_at"] is None and r["updated_at"] is None for r in rows)
