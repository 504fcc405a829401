"""Readers on small inline inputs written for these tests."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from datetime import datetime, timezone

import pytest

from transforms.readers import clean_headline, parse_file, parse_timestamp, split_authors

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)

SCRAPE = """Harbour Council Delays Vote on Ferry Fares

Harbour Council Delays Vote on Ferry Fares
Commuters queue at the north pier terminal in Portside on May 2, 2024. (Lena Fisk/Coastal Wire via Stock Images)
Tomas Brandt
05/03/2024
Updated:
05/04/2024

The Portside harbour council on Friday postponed a vote on higher ferry fares.

“We need another month,” said council chair Ida Moreau.
Opponents welcomed the delay.
"""


def parse(name: str, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_file(name, data, now=NOW)


def test_page_scrape_header_becomes_fields_not_body():
    result = parse("news/ferry.txt", SCRAPE)
    assert not result.rejections
    (a,) = result.articles
    assert a.title == "Harbour Council Delays Vote on Ferry Fares"
    assert a.caption == "Commuters queue at the north pier terminal in Portside on May 2, 2024."
    assert a.image_credit == "Lena Fisk/Coastal Wire via Stock Images"
    assert a.authors == ("Tomas Brandt",)
    assert a.published_at == datetime(2024, 5, 3, tzinfo=timezone.utc)
    assert a.updated_at == datetime(2024, 5, 4, tzinfo=timezone.utc)
    assert a.body.startswith("The Portside harbour council on Friday")
    for header_line in ("Harbour Council Delays", "Lena Fisk", "Tomas Brandt", "05/03/2024", "Updated"):
        assert header_line not in a.body
    # A paragraph that runs on without a blank line keeps its own line.
    assert "said council chair Ida Moreau.\nOpponents welcomed the delay." in a.body


def test_headline_first_text_with_by_line():
    result = parse("a.txt", "River levels fall after week of rain\n\nBy Ana Silva and Piet Kool\n\nThe river fell two metres.\n\nFarmers returned.")
    (a,) = result.articles
    assert a.title == "River levels fall after week of rain"
    assert a.authors == ("Ana Silva", "Piet Kool")
    assert a.body == "The river fell two metres.\n\nFarmers returned."
    assert a.published_at is None


def test_headline_first_without_metadata_leaves_author_and_date_null():
    (a,) = parse("b.txt", "Budget passes.\n\nThe assembly passed the budget on Monday.").articles
    assert a.title == "Budget passes"  # the sentence period some exports append is not part of a headline
    assert a.authors == () and a.published_at is None


def test_nbsp_mojibake_and_whitespace_are_repaired_before_offsets():
    text = "Title  here\n\n\n\nThe mayor\u00a0said   it was â€œfineâ€\x9d.  \r\n\r\n\r\nNext  paragraph."
    (a,) = parse("c.txt", text).articles
    assert a.title == "Title here"
    assert a.body == "The mayor said it was “fine”.\n\nNext paragraph."


def test_cp1252_bytes_are_decoded():
    raw = "Caf\u00e9 prices rise\n\nA coffee now costs \u00a34 at the \u201cold\u201d caf\u00e9.".encode("cp1252")
    (a,) = parse("d.txt", raw).articles
    assert a.title == "Café prices rise"
    assert a.body == "A coffee now costs £4 at the “old” café."


def test_jsonl_keys_and_bad_lines_do_not_cost_good_records():
    lines = [
        json.dumps({"id": "1", "title": "One", "maintext": "Body one.", "authors": ["A Writer", "B Writer"], "date_publish": "2024-03-14T10:30:00+01:00", "source_domain": "x.example", "url": "https://x.example/1"}),
        '{"title": "Two", "text": "unterminated',
        json.dumps({"title": "Three"}),
        json.dumps(["not", "an", "object"]),
        "",
        json.dumps({"title": "Five", "content": "Body five.", "author": "C Writer", "date": "2024-03-15", "date_modify": "2024-03-16T08:00:00Z"}),
    ]
    result = parse("w.jsonl", "\n".join(lines))
    assert [a.title for a in result.articles] == ["One", "Five"]
    one, five = result.articles
    assert one.published_at == datetime(2024, 3, 14, 9, 30, tzinfo=timezone.utc)
    assert one.authors == ("A Writer", "B Writer") and one.publisher == "x.example" and one.url == "https://x.example/1"
    assert one.source_record == 0 and five.source_record == 5
    assert five.updated_at == datetime(2024, 3, 16, 8, tzinfo=timezone.utc)
    assert [(r.source_record, r.reason) for r in result.rejections] == [(1, "malformed_record"), (2, "no_body"), (3, "malformed_record")]


def test_json_array_and_truncated_json():
    ok = parse("f.json", json.dumps([{"title": "A", "body": "Text a."}, {"title": "B", "body": "Text b."}]))
    assert [a.source_record for a in ok.articles] == [0, 1]
    bad = parse("g.json", '[{"title": "A", "body": "Text')
    assert not bad.articles and bad.rejections[0].reason == "malformed_file" and bad.rejections[0].source_record is None


def test_csv_with_quoted_multiline_bodies_and_bad_rows():
    text = 'id,title,body,author,published_at\n1,"Fares, again","He said ""no"".\nThen left.",Ana Silva;Piet Kool,2024-01-02\n2,Empty,,X,2024-01-02\n3,Dated,Some text.,Y,not a date\n'
    result = parse("h.csv", text)
    (a,) = result.articles
    assert a.title == "Fares, again" and a.body == 'He said "no".\nThen left.' and a.authors == ("Ana Silva", "Piet Kool")
    assert [(r.source_record, r.reason) for r in result.rejections] == [(1, "no_body"), (2, "bad_date")]


def test_html_main_text_and_metadata_without_boilerplate():
    html = """<html><head><title>Dam opens | Valley Times</title>
    <meta name="author" content="Rosa Lind"><meta property="article:published_time" content="2024-06-01T07:15:00Z">
    <meta property="og:title" content="Dam opens after six years"><link rel="canonical" href="https://valley.example/dam"></head>
    <body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav><div class="cookie">We use cookies. Accept all cookies to continue.</div>
    <article><h1>Dam opens after six years</h1>
    <p>The new dam on the upper valley river opened on Saturday after six years of construction and two funding disputes.</p>
    <p>"It will protect forty villages from floods," the regional engineer said at the opening ceremony in the morning.</p>
    <p>Critics said the reservoir flooded farmland that families had worked for generations, and they asked for compensation.</p></article>
    <aside>Related: Bridge closes for repairs</aside><footer>Copyright Valley Times</footer></body></html>"""
    (a,) = parse("p.html", html).articles
    assert a.title == "Dam opens after six years"
    assert a.authors == ("Rosa Lind",)
    assert a.published_at == datetime(2024, 6, 1, 7, 15, tzinfo=timezone.utc)
    assert a.body.startswith("The new dam on the upper valley river opened")
    assert "cookies" not in a.body and "Related" not in a.body and "Copyright" not in a.body


def test_gzip_variants_and_corrupt_gzip():
    payload = gzip.compress(json.dumps({"title": "Z", "body": "Zipped."}).encode(), mtime=0)
    (a,) = parse("z.jsonl.gz", payload).articles
    assert a.source_format == "jsonl" and a.body == "Zipped."
    bad = parse("y.jsonl.gz", b"\x1f\x8b\x08\x00garbage")
    assert bad.rejections[0].reason == "bad_gzip"


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("e.txt", b"", "empty_file"),
        ("e2.txt", b"  \n\n \t\n", "empty_file"),
        ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", "binary_file"),
        ("only.txt", b"Just a headline\n\n", "no_body"),
        ("doc.docx", b"PK\x03\x04", "unsupported_format"),
        ("future.jsonl", b'{"title": "T", "body": "B.", "published_at": "2199-01-01T00:00:00Z"}', "implausible_date"),
        ("old.jsonl", b'{"title": "T", "body": "B.", "published_at": "1850-01-01"}', "implausible_date"),
    ],
)
def test_bad_inputs_get_a_reason(name, data, reason):
    result = parse(name, data)
    assert not result.articles
    assert [r.reason for r in result.rejections] == [reason]
    assert all(len(r.raw_sha256) == 64 and r.detail for r in result.rejections)


def test_timestamps():
    assert parse_timestamp("12/29/2021") == datetime(2021, 12, 29, tzinfo=timezone.utc)
    assert parse_timestamp("2021-12-29T10:00:00-05:00") == datetime(2021, 12, 29, 15, tzinfo=timezone.utc)
    assert parse_timestamp(1640995200) == datetime(2022, 1, 1, tzinfo=timezone.utc)
    assert parse_timestamp(None) is None and parse_timestamp("  ") is None
    with pytest.raises(ValueError):
        parse_timestamp("next Tuesday")  # no year: never filled in from today's clock


def test_authors_and_headlines():
    assert split_authors("By Ana Silva, Piet Kool") == ("Ana Silva", "Piet Kool")
    assert split_authors(["X Y", {"name": "Z W"}, "X Y"]) == ("X Y", "Z W")
    assert split_authors("None") == ()
    assert clean_headline("Talks resume with the U.S.") == "Talks resume with the U.S."
    assert clean_headline("He won. Again.") == "He won. Again."
    assert clean_headline("Leaders meet in ‘good faith.’") == "Leaders meet in ‘good faith’"


# ---- edge cases -------------------------------------------------------------------------------------------------


def test_csv_rows_with_wrong_field_counts_are_records_not_the_file():
    result = parse("k.csv", "title,body\nA,one\nB,two,extra\nC\n\nD,four\n")
    assert [(a.source_record, a.title, a.body) for a in result.articles] == [(0, "A", "one"), (4, "D", "four")]
    assert [(r.source_record, r.reason, r.detail) for r in result.rejections] == [
        (1, "malformed_record", "row 1 has 3 fields, the header has 2"),
        (2, "malformed_record", "row 2 has 1 fields, the header has 2"),
    ]
    # a record's raw_sha256 is the hash of that row (fields joined by commas), not of the file
    assert result.rejections[0].raw_sha256 == hashlib.sha256(b"B,two,extra").hexdigest()


def test_csv_blank_rows_still_count_in_record_numbers():
    (a,) = parse("blank.csv", "title,text\n\nA,one\n").articles
    assert a.source_record == 1


def test_csv_without_a_body_column_or_header_is_malformed_file():
    no_body = parse("n.csv", "title,author\nA,B\n").rejections
    assert [(r.source_record, r.reason) for r in no_body] == [(None, "malformed_file")]
    assert "no body column" in no_body[0].detail


def test_json_wrapped_in_an_object():
    data = json.dumps({"status": "ok", "articles": [{"title": "A", "body": "Text a."}, 5, {"headline": "C", "content": "Text c."}]})
    result = parse("wrapped.json", data)
    assert [(a.source_record, a.title, a.body) for a in result.articles] == [(0, "A", "Text a."), (2, "C", "Text c.")]
    assert [(r.source_record, r.reason) for r in result.rejections] == [(1, "malformed_record")]
    # a single object is one record
    (single,) = parse("one.json", json.dumps({"title": "S", "text": "Solo."})).articles
    assert (single.source_record, single.body) == (0, "Solo.")


def test_html_without_main_text_is_no_body_for_the_whole_file():
    result = parse("blank.html", "<html><head><title>Valley Times</title></head><body></body></html>")
    assert not result.articles
    assert [(r.source_record, r.reason) for r in result.rejections] == [(None, "no_body")]


def test_html_with_only_boilerplate_is_no_body():
    page = ('<html><head><title>Valley Times</title></head><body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>'
            '<div class="cookie">We use cookies. Accept all cookies to continue.</div><footer>Copyright Valley Times</footer></body></html>')
    result = parse("menu.html", page)
    assert not result.articles and [r.reason for r in result.rejections] == ["no_body"]
    # a short article with no markup around it still is one, and so is a page only the fallback extractors read
    (short,) = parse("short.html", "<html><body><article><p>The council of Tartu met on Monday.</p></article></body></html>").articles
    assert short.body == "The council of Tartu met on Monday."
    loose = "<html><body><div>Home | Sport</div><div>The new tram line in Tartu opened on Monday after two years of building work.</div></body></html>"
    (page_text,) = parse("loose.html", loose).articles
    assert "The new tram line in Tartu opened on Monday" in page_text.body


def test_utf16_with_bom_is_decoded_and_without_bom_is_binary():
    text = "Caf\u00e9 opens\n\nThe caf\u00e9 opened on Monday."
    for encoding in ("utf-16", "utf-16-be"):
        data = (b"\xfe\xff" + text.encode("utf-16-be")) if encoding == "utf-16-be" else text.encode("utf-16")
        (a,) = parse("u.txt", data).articles
        assert (a.title, a.body) == ("Café opens", "The café opened on Monday.")
    # UTF-16 without a BOM has NUL bytes: not guessed, rejected as binary
    assert [r.reason for r in parse("v.txt", text.encode("utf-16-le")).rejections] == ["binary_file"]


def test_undecodable_bytes_are_rejected():
    result = parse("x.txt", bytes(range(0x80, 0x100)) * 3)
    assert not result.articles
    assert [(r.source_record, r.reason) for r in result.rejections] == [(None, "undecodable")]


def test_day_first_reads_numeric_dates_day_month():
    line = b'{"title": "T", "body": "B.", "published_at": "03/04/2021"}'
    (month_first,) = parse_file("d.jsonl", line, now=NOW).articles
    (day_first,) = parse_file("d.jsonl", line, now=NOW, day_first=True).articles
    assert month_first.published_at == datetime(2021, 3, 4, tzinfo=timezone.utc)
    assert day_first.published_at == datetime(2021, 4, 3, tzinfo=timezone.utc)
    # an ISO date is not reordered by day_first
    (iso,) = parse_file("i.jsonl", b'{"title": "T", "body": "B.", "published_at": "2021-03-04"}', now=NOW, day_first=True).articles
    assert iso.published_at == datetime(2021, 3, 4, tzinfo=timezone.utc)


def test_dates_up_to_one_day_after_the_run_are_plausible():
    lines = [json.dumps({"title": "T", "body": "B.", "published_at": v}) for v in ("2026-01-02T00:00:00Z", "2026-01-02T00:00:01Z", "1900-01-01")]
    result = parse("near.jsonl", "\n".join(lines))
    assert [(a.source_record, a.published_at) for a in result.articles] == [
        (0, datetime(2026, 1, 2, tzinfo=timezone.utc)),
        (2, datetime(1900, 1, 1, tzinfo=timezone.utc)),
    ]
    assert [(r.source_record, r.reason) for r in result.rejections] == [(1, "implausible_date")]


def test_epoch_seconds_and_milliseconds():
    # 1640995200 s = 2022-01-01T00:00:00Z (date -u -d @1640995200)
    assert parse_timestamp(1640995200000) == datetime(2022, 1, 1, tzinfo=timezone.utc)
    assert parse_timestamp("1640995200") == datetime(2022, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        parse_timestamp(True)


def test_language_codes_from_records():
    lines = [json.dumps({"title": "T", "body": "B.", "language": v}) for v in ("pt_BR", "EN-gb", "Portuguese", "")]
    assert [a.language for a in parse("lang.jsonl", "\n".join(lines)).articles] == ["pt", "en", None, None]


def test_one_article_text_file_is_record_zero():
    (a,) = parse("one.txt", "Headline\n\nBody text.").articles
    assert a.source_record == 0


# ---- the bundled bad samples, as data/SAMPLES.md documents them ---------------------------------------------------

BAD_SAMPLES = {
    # (path, record, reason); record None = the whole file; SAMPLES.md counts rows from 1, these from 0
    ("bad/empty.txt", None, "empty_file"),
    ("bad/blank.txt", None, "empty_file"),
    ("bad/image.txt", None, "binary_file"),
    ("bad/headline_only.txt", 0, "no_body"),  # a one-article file: its record 0 has no body
    ("bad/broken.jsonl", 1, "malformed_record"),
    ("bad/broken.jsonl", 2, "no_body"),
    ("bad/broken.json", None, "malformed_file"),
    ("bad/notes.docx", None, "unsupported_format"),
    ("bad/corrupt.jsonl.gz", None, "bad_gzip"),
    ("bad/bad_rows.csv", 1, "no_body"),
    ("bad/bad_rows.csv", 2, "bad_date"),
    ("bad/future.jsonl", 0, "implausible_date"),  # line 1 is a record with a bad date, not a bad file
}


def test_bad_samples_give_the_documented_rejections_and_the_doc_agrees():
    from tests.conftest import SAMPLES

    now = datetime(2026, 11, 27, tzinfo=timezone.utc)
    got, kept = set(), []
    for path in sorted((SAMPLES / "bad").iterdir()):
        rel = path.relative_to(SAMPLES).as_posix()
        result = parse_file(rel, path.read_bytes(), now=now)
        got |= {(r.source_path, r.source_record, r.reason) for r in result.rejections}
        kept += [(a.source_path, a.source_record) for a in result.articles]
    assert got == BAD_SAMPLES
    assert kept == [("bad/bad_rows.csv", 0), ("bad/broken.jsonl", 0)]
    doc = (SAMPLES.parent / "SAMPLES.md").read_text(encoding="utf-8")
    m = re.search(r"\*\*(\d+)\*\*\. That is (\d+) whole files \(([^)]*)\) plus (\d+) records \(([^)]*)\)", doc)
    assert m, "SAMPLES.md no longer states the quarantine totals in the expected sentence"
    whole = {p for p, record, _ in BAD_SAMPLES if record is None}
    assert int(m.group(1)) == len(BAD_SAMPLES)
    assert int(m.group(2)) == len(whole) and {f"bad/{n}" for n in re.findall(r"`([^`]+)`", m.group(3))} == whole
    assert int(m.group(4)) == len(BAD_SAMPLES) - len(whole)
