"""Hostile files: size limits before and after decompression, links leading out of RAW."""

from __future__ import annotations

import gzip
import os
from datetime import datetime, timezone

from newsflow.runner import walk_raw
from transforms.readers import parse_file

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
GOOD = b'{"title": "Pier opens", "text": "The new pier in Hobart opened on Monday, the council said."}\n'


def test_a_file_over_the_limit_is_quarantined_not_read():
    result = parse_file("big.jsonl", GOOD * 100, NOW, max_bytes=1000)
    assert [(r.reason, r.source_record) for r in result.rejections] == [("too_large", None)] and not result.articles
    assert len(parse_file("ok.jsonl", GOOD, NOW, max_bytes=1000).articles) == 1


def test_a_gzip_bomb_stops_at_the_limit():
    bomb = gzip.compress(b" " * 5_000_000)  # a few kilobytes that inflate to 5 MB
    assert len(bomb) < 20_000
    result = parse_file("bomb.txt.gz", bomb, NOW, max_bytes=1_000_000)
    assert [r.reason for r in result.rejections] == ["too_large"]
    assert len(parse_file("fine.jsonl.gz", gzip.compress(GOOD), NOW, max_bytes=1_000_000).articles) == 1


def test_links_are_followed_only_inside_raw(tmp_path):
    raw, outside = tmp_path / "raw", tmp_path / "outside"
    (raw / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nNot for reading.")
    (raw / "sub" / "real.txt").write_text("Real\n\nA story.")
    os.symlink(outside / "secret.txt", raw / "leak.txt")
    os.symlink(outside, raw / "leakdir")
    os.symlink(raw / "sub" / "real.txt", raw / "alias.txt")
    found, excluded = walk_raw(raw, ())
    assert [rel for rel, _ in found] == ["alias.txt", "sub/real.txt"]
    assert excluded == ["leak.txt"]  # a linked folder outside RAW is not entered at all


def test_a_file_too_large_is_read_again_with_retry_failed_after_raising_the_limit(tmp_path):
    """Its bytes do not change, so only --retry-failed reads it again; its quarantine row is then retracted."""
    from flows import tasks
    from newsflow.store import CuratedStore

    raw, store = tmp_path / "raw", CuratedStore(tmp_path / "out")
    raw.mkdir()
    (raw / "big.jsonl").write_bytes(GOOD * 50)
    (raw / "small.jsonl").write_bytes(GOOD)
    staging = store.stage("20240101T000000Z-000001")
    state = tasks.load_published_state.fn(store, "20240101T000000Z-000001", NOW, "m")
    found = tasks.discover_raw_files.fn(raw, ()).files
    plan = tasks.plan_raw_files.fn(raw, found, state)
    files = tasks.read_new_raw_files.fn(raw, found, plan, max_bytes=1000)
    parsed = tasks.parse_raw_files.fn(files, NOW, False, max_bytes=1000)
    assert [(r.source_path, r.reason) for r in parsed.rejections] == [("big.jsonl", "too_large")]
    tasks.stage_tables.fn(staging, tasks.build_article_rows.fn(parsed, files, state, "en"), files, state)
    staging.commit()
    again = tasks.load_published_state.fn(store, "20240101T000000Z-000002", NOW, "m")
    assert tasks.plan_raw_files.fn(raw, found, again).to_read == {}  # unchanged: skipped
    retry = tasks.plan_raw_files.fn(raw, found, again, retry_failed=True)
    assert set(retry.to_read) == {"big.jsonl"} and retry.retract_paths == {"big.jsonl"}
