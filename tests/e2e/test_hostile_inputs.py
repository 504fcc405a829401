"""Bad input never costs good data: a generated folder of hostile files mixed with good records. After one run every
good record is an article, every bad one is in quarantine with a reason, and the counts reconcile exactly."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

PLACES = ["Lagos", "Porto", "Tromso", "Hobart", "Cusco", "Da Nang", "Windhoek", "Tartu"]
THINGS = ["a new ferry pier", "the night market", "a tram depot", "the harbour wall", "a school roof", "the river bridge"]


def good_record(n: int, rng: random.Random) -> dict:
    """A short article we write: unique title (the marker the test looks for) and an ordinary sentence."""
    place, thing = rng.choice(PLACES), rng.choice(THINGS)
    return {"title": f"Good story {n:03d}", "text": f"Officials in {place} opened {thing} on Monday, the council said in statement {n}.", "date": "2024-05-06"}


def write_corpus(raw: Path, seed: int = 7) -> tuple[set[str], dict[str, set]]:
    """Returns the titles of the good records and, per hostile file, the records expected in quarantine
    ({None} for a whole file). Hostile variants of good text (odd characters, unbalanced quotes) are good records."""
    rng = random.Random(seed)
    good: set[str] = set()
    bad: dict[str, set] = {}
    n = 0

    def record() -> dict:
        nonlocal n
        n += 1
        rec = good_record(n, rng)
        good.add(rec["title"])
        return rec

    for i in range(20):  # good records with hostile text that is still text
        rec = record()
        rec["text"] = rec["text"] + [" \u200b\u200c zero-width", " \u202eRTL override\u202c", " “an unbalanced quote", " '' stray marks \"", " ‏عربي‎ text"][i % 5]
        (raw / f"odd_{i:02d}.json").write_text(json.dumps(rec), encoding="utf-8")
    for i in range(10):  # JSON Lines with broken lines between good ones
        lines = [json.dumps(record()), "{broken", json.dumps(record()), "[1, 2]", json.dumps({"title": "Only a title"}), json.dumps(record())]
        (raw / f"mixed_{i:02d}.jsonl").write_text("\n".join(lines) + "\n")
        bad[f"mixed_{i:02d}.jsonl"] = {1, 3, 4}
    for i in range(10):  # CSV rows with missing and extra fields between good ones
        rows = ["title,text,date"]
        for j in range(4):
            rec = record() if j != 2 else None
            rows.append(f"{rec['title']},{rec['text'].replace(',', ';')},{rec['date']}" if rec else "lonely title only")
        rows.append("a,b,c,d,e,f")
        (raw / f"rows_{i:02d}.csv").write_text("\n".join(rows) + "\n")
        bad[f"rows_{i:02d}.csv"] = {2, 4}
    hostile = {
        "empty.txt": b"",
        "spaces.txt": b"   \n\t\n  ",
        "binary.txt": bytes(range(256)) * 8,
        "nul.txt": b"Title\n\nBody with a \x00 NUL byte \x00 inside" * 3,
        "truncated.jsonl.gz": gzip.compress(json.dumps(good_record(999, rng)).encode())[:-12],
        "invalid_utf8.jsonl": b'{"title": "x", "text": "\xff\xfe\xfa bad bytes \xc3\x28"}\n' * 2,
        "wrong_shape.json": b'"just a string"',
        "numbers.json": b"[1, 2, 3]",
        "deep.json": b"[" * 5000 + b"]" * 5000,
        "no_article.html": b"<html><head><title>x</title></head><body></body></html>",
        "future.jsonl": json.dumps({"title": "From the future", "text": "It happened later than now, officials said.", "date": "2199-01-01"}).encode(),
        "impossible.jsonl": json.dumps({"title": "Impossible date", "text": "A thing happened on a day that is not real.", "date": "2021-02-30"}).encode(),
        "title_only.txt": b"Just a headline\n",
        "lone_surrogate.json": b'{"title": "Surrogate", "text": "\\ud800 lone half of a pair"}',
        "notes.docx": b"PK\x03\x04 not really a document",
    }
    for name, data in hostile.items():
        (raw / name).write_bytes(data)
    record_level = {"future.jsonl", "impossible.jsonl", "title_only.txt"}
    # Repaired, not rejected: bytes that are not UTF-8 are read as Western (cp1252) text, and a lone surrogate
    # escape in JSON is replaced (the text is otherwise good).
    repaired = {"invalid_utf8.jsonl", "lone_surrogate.json"}
    for name in hostile:
        if name not in repaired:
            bad[name] = {0} if name in record_level else {None}
    return good, bad


def test_hostile_inputs_cost_no_good_record(run_flow, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    good, bad = write_corpus(raw)
    summary = run_flow(raw, out)
    assert summary.published
    con = duckdb.connect()
    titles = {t for (t,) in con.execute(f"SELECT title FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning = true)").fetchall()}
    assert good <= titles  # every good record is an article
    quarantined = con.execute(f"SELECT source_path, source_record, reason FROM read_parquet('{out}/quarantine/**/*.parquet')").fetchall()
    q_keys: dict[str, set] = {}
    for path, record, reason in quarantined:
        assert reason, (path, record)
        q_keys.setdefault(path, set()).add(record)
    became = {(p, r) for p, r in con.execute(f"SELECT source_path, source_record FROM read_parquet('{out}/lineage/**/*.parquet') WHERE outcome <> 'quarantined'").fetchall()}
    for path, records in bad.items():  # every bad input is in quarantine: the bad records, or the whole bad file
        got = q_keys.get(path, set())
        if records == {None}:  # a bad file: rejected whole, or each of its records rejected; nothing of it published
            assert got and not {r for p, r in became if p == path}, (path, got)
        else:
            assert got == records, (path, got, records)
    odd = con.execute(f"SELECT source_record, outcome FROM read_parquet('{out}/lineage/**/*.parquet') WHERE source_path = 'invalid_utf8.jsonl' ORDER BY 1").fetchall()
    assert odd == [(0, "article"), (1, "duplicate")]
    (body,) = con.execute(f"SELECT body FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning = true) WHERE title = 'Surrogate'").fetchone()
    assert "lone half of a pair" in body and not any(0xD800 <= ord(c) <= 0xDFFF for c in body)
    lineage = dict(con.execute(f"SELECT outcome, count(*) FROM read_parquet('{out}/lineage/**/*.parquet') GROUP BY ALL").fetchall())
    assert lineage.get("article", 0) == summary.articles_written and lineage.get("quarantined", 0) == summary.quarantined
    assert summary.records_seen == summary.articles_written + summary.duplicates_merged + summary.quarantined
    assert summary.files_seen == len(list(raw.iterdir()))
