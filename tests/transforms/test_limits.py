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
