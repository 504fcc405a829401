"""The validation gate: good batches pass, broken ones fail with the expectation named."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from expectations.gate import Gate
from transforms.articles import ArticleIndex, build_articles
from transforms.quarantine import build_quarantine
from transforms.records import RawArticle, Rejection

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def gate():
    return Gate(["articles", "quarantine"])


def good_articles() -> pa.Table:
    recs = [
        RawArticle("a.txt", 0, "txt", "Alpha", "The alpha story has words.", published_at=AT - timedelta(days=3)),
        RawArticle("b.jsonl", 2, "jsonl", "Beta", "The beta story has more words."),
    ]
    return build_articles(recs, ArticleIndex(), "r", AT).table


def params(**kw):
    return {"run_latest": AT + timedelta(hours=1), "quarantined_keys": [], "quarantined_files": [], **kw}


def set_column(table: pa.Table, name: str, values) -> pa.Table:
    i = table.schema.get_field_index(name)
    return table.set_column(i, table.schema.field(name), pa.array(values, table.schema.field(name).type))


def test_good_batch_passes(gate):
    q = build_quarantine([Rejection("bad/x.txt", None, "empty_file", "empty", "0" * 64)], "r", AT)
    report = gate.validate({"articles": good_articles(), "quarantine": q}, params(quarantined_keys=["bad/x.txt#None"]))
    assert report.success, [str(f) for f in report.failures]


@pytest.mark.parametrize(
    "column,values,expectation",
    [
        ("article_id", ["same", "same"], "expect_column_values_to_be_unique"),
        ("word_count", [0, 5], "expect_column_values_to_be_between"),
        ("source_format", ["txt", "docx"], "expect_column_values_to_be_in_set"),
        ("published_at", [AT + timedelta(days=400), None], "expect_column_values_to_be_between"),
        ("published_at", [datetime(1850, 1, 1, tzinfo=timezone.utc), None], "expect_column_values_to_be_between"),
        ("title", [None, "x"], "expect_column_values_to_not_be_null"),
    ],
)
def test_broken_batch_fails_naming_the_expectation(gate, column, values, expectation):
    report = gate.validate({"articles": set_column(good_articles(), column, values)}, params())
    assert not report.success
    assert any(f.expectation == expectation and f.column == column for f in report.failures), [str(f) for f in report.failures]


def test_quarantined_input_must_not_be_an_article(gate):
    report = gate.validate({"articles": good_articles()}, params(quarantined_keys=["b.jsonl#2"]))
    assert not report.success
    assert [f.column for f in report.failures] == ["source_key"]


def test_unknown_quarantine_reason_fails(gate):
    q = build_quarantine([Rejection("x", None, "made_up", "d", "0" * 64)], "r", AT)
    report = gate.validate({"quarantine": q}, params())
    assert not report.success and report.failures[0].column == "reason"


def _quotes_table(spans):
    from transforms.quotes import Quote, build_quotes

    body = "One two three four five six seven eight nine ten."
    quotes = [Quote("body", 0, s, e, body[s:e], "indirect") for s, e in spans]
    return build_quotes([("a1", quotes)]), {"article_texts": {("a1", "body"): body}}


@pytest.mark.parametrize("spans,ok", [([(0, 7), (8, 18)], True), ([(0, 13), (8, 18)], False), ([(0, 30), (4, 7), (20, 25)], False)])
def test_quotes_may_not_overlap_in_a_field(spans, ok):
    table, context = _quotes_table(spans)
    report = Gate(["quotes"]).validate({"quotes": table}, {"article_ids": ["a1"]}, context)
    assert report.success == ok, [str(f) for f in report.failures]
    if not ok:
        assert [f.column for f in report.failures] == ["overlaps_another"]
