"""Bad input never costs good data: a generated folder of hundreds of hostile inputs mixed with good records. After
one run (with the network blocked) every good record is an article, every bad one is in quarantine with the reason
its kind calls for, the counts reconcile exactly, and nothing was written outside the curated folder."""

from __future__ import annotations

import gzip
import json
import random
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

PLACES = ["Lagos", "Porto", "Tromso", "Hobart", "Cusco", "Da Nang", "Windhoek", "Tartu"]
THINGS = ["a new ferry pier", "the night market", "a tram depot", "the harbour wall", "a school roof", "the river bridge"]
# The run's size limit (setting max_file_mb): the three oversized inputs below are over it, everything else under.
MAX_FILE_MB = 5


@dataclass
class Corpus:
    good: set[str] = field(default_factory=set)  # titles of the records that must become articles
    bad: dict[tuple[str, int | None], str] = field(default_factory=dict)  # (file, record or None) -> reason
    files: int = 0
    crafted: dict[str, dict] = field(default_factory=dict)  # title -> the path-like values its record carries

    @property
    def hostile(self) -> int:
        """Bad inputs, plus the good records made of hostile text (odd characters, crafted fields, bad bytes)."""
        return len(self.bad) + self.odd

    odd: int = 0


def write_corpus(raw: Path, seed: int = 7) -> Corpus:
    rng = random.Random(seed)
    corpus = Corpus()
    n = 0

    def good(**extra) -> dict:
        nonlocal n
        n += 1
        rec = {"title": f"Good story {n:03d}", "text": f"Officials in {rng.choice(PLACES)} opened {rng.choice(THINGS)} on Monday, the council said in statement {n}.",
               "date": "2024-05-06", **extra}
        corpus.good.add(rec["title"])
        return rec

    def put(name: str, data: bytes | str, bad: dict | None = None) -> None:
        (raw / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        corpus.files += 1
        for record, reason in (bad or {}).items():
            corpus.bad[(name, record)] = reason

    # Good records of hostile text: odd characters, path-like and oversized field values, bytes that are not UTF-8.
    odd_texts = [" \u200b\u200c zero-width", " \u202eRTL override\u202c", " \u201can unbalanced quote", " '' stray marks \"", " \u200f\u0639\u0631\u0628\u064a\u200e text",
                 " \ufeff BOM inside", " \u00a0non-breaking\u2028line separator", " \u0301 lone combining mark"]
    crafted = [{"language": "../../etc"}, {"publisher": "../../../tmp/escape"}, {"url": "file:///etc/passwd"}, {"language": "en/../../x"},
               {"publisher": "/" * 300}, {"authors": ["..", "../.."]}]
    for i in range(40):
        rec = good(**crafted[(i // 3) % len(crafted)]) if i % 3 == 0 else good()
        if i % 3 == 0:
            corpus.crafted[rec["title"]] = crafted[(i // 3) % len(crafted)]
        rec["text"] += odd_texts[i % len(odd_texts)]
        put(f"odd_{i:02d}.json", json.dumps(rec, ensure_ascii=i % 2 == 0))
        corpus.odd += 1
    for i in range(6):  # a lone surrogate escape is replaced; stray cp1252 bytes in UTF-8 text are read as text
        rec = good()
        if i % 2:
            put(f"surrogate_{i}.json", json.dumps(rec).replace(' said in', ' \\ud800 half a pair said in'))
        else:
            head, tail = json.dumps(rec, ensure_ascii=False).split(" said in")
            put(f"mixed_encoding_{i}.jsonl", head.encode("utf-8") + " caf\u00e9 \u00a31".encode("cp1252") + " caf\u00e9 said in".encode("utf-8") + tail.encode("utf-8") + b"\n")
        corpus.odd += 1
    put("surrogate_date.json", '{"title": "Odd date", "text": "A story.", "date": "2024-05-06 \\udc00"}', {0: "bad_date"})
    # JSON Lines: broken lines between good ones.
    for i in range(20):
        lines = [json.dumps(good()), "{broken", json.dumps(good()), "[1, 2]", json.dumps({"title": "Only a title"}), "[" * 100_000 + "]" * 100_000,
                 json.dumps(good()), json.dumps({"title": "From the future", "text": "It happened later than now.", "date": "2199-01-01"}),
                 json.dumps({"title": "Impossible date", "text": "A thing happened on a day that is not real.", "date": "2021-02-30"}), "null"]
        if i % 5 == 0:  # a long line that does not parse (under the size limit: read, and one bad record)
            lines[1] = '{"title": "Long", "text": "' + "word " * 400_000
        put(f"mixed_{i:02d}.jsonl", "\n".join(lines) + "\n",
            {1: "malformed_record", 3: "malformed_record", 4: "no_body", 5: "malformed_record", 7: "implausible_date", 8: "bad_date", 9: "malformed_record"})
    # CSV: missing and extra fields, a field far over the csv module's default limit, a row without text.
    for i in range(15):
        a, b, c = good(), good(), good()
        rows = ["title,text,date", f"{a['title']},{a['text'].replace(',', ';')},{a['date']}", "lonely title only",
                f"{b['title']},{b['text'].replace(',', ';')},{b['date']}", "a,b,c,d,e,f", "Title without text,,2024-01-02",
                f"Huge,{'x' * 200_000},2024-01-02,extra" if i % 5 == 0 else "x,y",
                f"{c['title']},{c['text'].replace(',', ';')},{c['date']}"]
        put(f"rows_{i:02d}.csv", "\n".join(rows) + "\n", {1: "malformed_record", 3: "malformed_record", 4: "no_body", 5: "malformed_record"})
    # Whole files that hold no article.
    whole = {
        "empty": (lambda k: b"", ".txt .json .jsonl .csv .html .sgm .text .ndjson", "empty_file"),
        "spaces": (lambda k: b" \n\t\r\n " * (k + 1), ".txt .json .jsonl .csv .html .sgm .text .ndjson", "empty_file"),
        "binary": (lambda k: bytes(rng.randrange(256) for _ in range(4096)) + b"\x00", ".txt .json .jsonl .csv .html .sgm " * 2, "binary_file"),
        "nul": (lambda k: b"Title\n\nBody with a \x00 NUL byte inside." * (k + 1), ".txt .json .jsonl .csv .html .sgm .text .ndjson", "binary_file"),
        "truncated": (lambda k: gzip.compress(json.dumps({"title": "Cut", "text": f"Cut short {k}."}).encode())[: -4 - k], ".jsonl.gz .txt.gz .json.gz .csv.gz " * 3, "bad_gzip"),
        "undecodable": (lambda k: bytes(range(0x80, 0x100)) * (k + 3), ".txt .jsonl .csv .json", "undecodable"),
        "deep": (lambda k: b"[" * (10_000 * (k + 1)) + b"]" * (10_000 * (k + 1)), ".json " * 5, "malformed_file"),
        "invalid": (lambda k: [b"{", b'{"title": ', b"[1, 2", b"{'single': 'quotes'}"][k], ".json " * 4, "malformed_file"),
        "no_article": (lambda k: [b"<html><head><title>x</title></head><body></body></html>", b"<html><body><script>var a = 1;</script></body></html>",
                                  b'<html><body><img src="a.png"><img src="b.png"></body></html>',
                                  b'<html><body><nav><a href="/">Home</a> <a href="/news">News</a></nav><footer>Contact us</footer></body></html>',
                                  b"<html><body><div class='cookie'>We use cookies. Accept all to go on.</div></body></html>", b"<p></p>"][k],
                       ".html .htm .html .html .html .html", "no_body"),
        "unsupported": (lambda k: b"PK\x03\x04 not really a document", ".docx .pdf .bin .xml .md5 .exe", "unsupported_format"),
        "no_records": (lambda k: [b"[]", b'{"items": []}', b"title,text,date\n", b'{"articles": []}'][k], ".json .json .csv .json", "no_records"),
    }
    for kind, (make, suffixes, reason) in whole.items():
        for k, suffix in enumerate(suffixes.split()):
            put(f"{kind}_{k:02d}{suffix}", make(k), {None: reason})
    # Record-level: a whole file with no good record, rejected record by record.
    for k, (data, records) in enumerate([(b'"just a string"', {0: "malformed_record"}), (b"42", {0: "malformed_record"}), (b"null", {0: "malformed_record"}),
                                         (b"true", {0: "malformed_record"}), (b"[1, 2, 3]", {0: "malformed_record", 1: "malformed_record", 2: "malformed_record"}),
                                         (b"{}", {0: "no_body"}), (b'[{"title": "T"}, {"text": ""}]', {0: "no_body", 1: "no_body"})]):
        put(f"shape_{k:02d}.json", data, records)
    for k in range(6):
        put(f"title_only_{k}.txt", f"Just a headline {k}\n", {0: "no_body"})
    # Over the size limit: never loaded whole (a file), or stopped at the limit (a gzip bomb).
    put("one_line_50mb.jsonl", b'{"title": "Huge", "text": "' + b"word " * 10_000_000 + b'"}', {None: "too_large"})
    put("million_words.txt", "A very long story\n\n" + "lorem " * 1_000_000, {None: "too_large"})
    put("bomb.txt.gz", gzip.compress(b" " * 30_000_000), {None: "too_large"})
    return corpus


@pytest.fixture
def no_network(monkeypatch):
    """Any connection or name lookup beyond this machine fails and is recorded (Prefect's API is on loopback)."""
    attempts: list = []
    local_names = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}

    def is_local(address) -> bool:
        host = address[0] if isinstance(address, tuple) else address
        return isinstance(address, (str, bytes)) or str(host) in local_names or str(host).startswith("127.")

    def guard(real):
        def guarded(self, address, *args):
            if self.family == socket.AF_UNIX or is_local(address):
                return real(self, address, *args)
            attempts.append((real.__name__, address))
            raise OSError(f"network blocked by the test: {address}")

        return guarded

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, guard(getattr(socket.socket, name)))
    real_lookup = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        if host is not None and str(host) not in local_names and not str(host).startswith("127."):
            attempts.append(("getaddrinfo", host))
            raise socket.gaierror(f"name lookup blocked by the test: {host}")
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return attempts


def test_hostile_inputs_cost_no_good_record(run_flow, tmp_path, no_network):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    corpus = write_corpus(raw)
    assert corpus.hostile >= 300 and len(corpus.good) >= 100
    with pytest.raises(OSError), socket.socket() as probe:  # the guard is on: a connection or a lookup fails and is recorded
        probe.connect(("192.0.2.1", 80))
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 80), timeout=1)
    assert no_network == [("connect", ("192.0.2.1", 80)), ("getaddrinfo", "example.org")]
    no_network.clear()
    summary = run_flow(raw, out, max_file_mb=MAX_FILE_MB, workers=1)
    assert summary.published
    assert no_network == []  # the run never tried to reach another machine
    con = duckdb.connect()
    q = lambda sql: con.execute(sql.replace("OUT", str(out))).fetchall()  # noqa: E731
    titles = [t for (t,) in q("SELECT title FROM read_parquet('OUT/articles/**/*.parquet', hive_partitioning = true)")]
    assert sorted(titles) == sorted(corpus.good)  # every good record is an article, and nothing else is
    quarantined = {(p, r): reason for p, r, reason in q("SELECT source_path, source_record, reason FROM read_parquet('OUT/quarantine/**/*.parquet')")}
    assert quarantined == corpus.bad  # every bad input, with the reason its kind calls for, and nothing else
    assert all(d for (d,) in q("SELECT detail FROM read_parquet('OUT/quarantine/**/*.parquet')"))
    lineage = dict(q("SELECT outcome, count(*) FROM read_parquet('OUT/lineage/**/*.parquet') GROUP BY ALL"))
    assert lineage == {"article": len(corpus.good), "quarantined": len(corpus.bad)}
    assert (summary.articles_written, summary.quarantined, summary.duplicates_merged) == (len(corpus.good), len(corpus.bad), 0)
    assert summary.records_seen == summary.articles_written + summary.duplicates_merged + summary.quarantined
    assert summary.files_seen == corpus.files == len(list(raw.iterdir()))
    # Repaired text, not rejected; crafted path-like values are plain values and name no file.
    (body,) = q("SELECT body FROM read_parquet('OUT/articles/**/*.parquet', hive_partitioning = true) WHERE source_path = 'surrogate_1.json'")[0]
    assert "half a pair" in body and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in body)
    stored = {t: (pub, url, lang, authors) for t, pub, url, lang, authors in q("SELECT title, publisher, url, language, authors FROM read_parquet('OUT/articles/**/*.parquet')")}
    for title, values in corpus.crafted.items():
        publisher, url, language, authors = stored[title]
        assert publisher == values.get("publisher") and url == values.get("url") and authors == values.get("authors", []), (title, stored[title])
        assert re.fullmatch(r"[a-z]{2,3}", language), language  # a path is no language code
    assert len(corpus.crafted) == 14 and {k for v in corpus.crafted.values() for k in v} == {"language", "publisher", "url", "authors"}
    assert {p.name for p in tmp_path.iterdir()} == {"raw", "out"} and not list(out.rglob("*escape*"))
    months = {p.name for p in (out / "articles").iterdir()}
    assert months and all(re.fullmatch(r"published_month=(\d{4}-\d{2}|unknown)", m) for m in months), months
