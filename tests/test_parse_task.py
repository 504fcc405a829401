"""The reading tasks without a flow run: which files are found, and a reader crash costing one file only.

`Task.fn` is the plain function under the Prefect decorator, so no Prefect server is needed here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest

from flows import tasks
from newsflow.settings import Settings

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_discovery_skips_hidden_files_and_folders_and_counts_excluded(tmp_path):
    files = {
        "b.txt": "B",
        "a/c.jsonl": "{}",
        "README.md": "# notes",
        "sub/LICENSE": "MIT",
        "sub/readme.TXT": "case-insensitive README* match",
        ".hidden.txt": "dot file",
        ".git/objects.txt": "dot folder",
        "sub/.cache/x.json": "[]",
        "z.bak": "excluded by a custom pattern",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = tasks.discover_raw_files.fn(tmp_path, Settings().exclude)
    assert [(f.rel_path, f.size) for f in found.files] == [("a/c.jsonl", 2), ("b.txt", 1), ("z.bak", 28)]
    assert found.excluded == ["README.md", "sub/LICENSE", "sub/readme.TXT"]
    custom = tasks.discover_raw_files.fn(tmp_path, ("*.bak",))
    assert [f.rel_path for f in custom.files] == ["README.md", "a/c.jsonl", "b.txt", "sub/LICENSE", "sub/readme.TXT"]
    assert custom.excluded == ["z.bak"]


def test_discovery_of_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tasks.discover_raw_files.fn(tmp_path / "nope", ())


def test_a_reader_crash_becomes_malformed_file_and_the_other_files_survive(monkeypatch):
    real = tasks.parse_file

    def flaky(path, data, now, day_first=False, **limits):
        if path == "boom.jsonl":
            raise KeyError("surprise")
        return real(path, data, now=now, day_first=day_first, **limits)

    monkeypatch.setattr(tasks, "parse_file", flaky)
    good = json.dumps({"title": "Fine", "body": "Still read."}).encode()
    boom = b'{"title": "X", "body": "Y."}'
    files = [("boom.jsonl", boom, hashlib.sha256(boom).hexdigest()), ("ok.jsonl", good, hashlib.sha256(good).hexdigest())]
    result = tasks.parse_raw_files.fn(files, NOW, False)
    assert [(a.source_path, a.title) for a in result.articles] == [("ok.jsonl", "Fine")]
    (r,) = result.rejections
    assert (r.source_path, r.source_record, r.reason) == ("boom.jsonl", None, "malformed_file")
    assert r.detail == "reader failed: KeyError: 'surprise'"
    assert r.raw_sha256 == hashlib.sha256(boom).hexdigest()


def test_parse_task_passes_day_first_through():
    line = b'{"title": "T", "body": "B.", "published_at": "03/04/2021"}'
    (a,) = tasks.parse_raw_files.fn([("d.jsonl", line, "0" * 64)], NOW, True).articles
    assert a.published_at == datetime(2021, 4, 3, tzinfo=timezone.utc)
