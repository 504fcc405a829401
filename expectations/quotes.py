"""Expectation suite for `quotes`."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd

from expectations.levels import record_level
from expectations.offsets import is_slice, rows

TABLE = "quotes"
RECORD_KEY = "article_id"
DERIVED = ["offsets_exact", "speaker_offsets_exact", "overlaps_another"]
QUOTE_TYPES = ["direct", "partial", "indirect"]
SPEAKER_KINDS = ["person", "organization", "anonymous", "pronoun", "unknown"]


def expectations() -> list:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeInSet(column="article_id", value_set={"$PARAMETER": "article_ids"}),
        *record_level([
        e.ExpectColumnValuesToBeUnique(column="quote_id"),
        e.ExpectColumnValuesToBeInSet(column="offsets_exact", value_set=[True]),
        e.ExpectColumnValuesToBeInSet(column="speaker_offsets_exact", value_set=[True]),
        e.ExpectColumnValuesToBeInSet(column="overlaps_another", value_set=[False]),
        e.ExpectColumnValuesToBeInSet(column="field", value_set=["title", "caption", "body"]),
        e.ExpectColumnValuesToBeInSet(column="quote_type", value_set=QUOTE_TYPES),
        e.ExpectColumnValuesToBeInSet(column="speaker_kind", value_set=SPEAKER_KINDS),
        e.ExpectColumnValuesToBeBetween(column="start_char", min_value=0),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_char", column_B="start_char"),
        ]),
    ]


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    """`offsets_exact`: the quote's text is exactly its slice; `speaker_offsets_exact` likewise for the speaker
    (true when there is no speaker span)."""
    frame = frame.copy()
    texts = context.get("article_texts", {})
    frame["offsets_exact"] = [
        is_slice(texts, aid, f, s, e, t)
        for aid, f, s, e, t in rows(frame, "article_id", "field", "start_char", "end_char", "text")
    ]
    frame["speaker_offsets_exact"] = [
        True if pd.isna(t) and pd.isna(s) else (not pd.isna(s) and not pd.isna(e) and (texts.get((aid, f)) or "")[int(s):int(e)] == t)
        for aid, f, s, e, t in rows(frame, "article_id", "field", "speaker_start_char", "speaker_end_char", "speaker_text")
    ]
    frame["overlaps_another"] = _overlaps(frame)
    return frame


def _overlaps(frame: pd.DataFrame) -> list[bool]:
    """True for a quote that shares characters with another quote of the same article field (both are marked)."""
    flags = [False] * len(frame)
    groups: dict = {}
    for pos, key in enumerate(rows(frame, "article_id", "field")):
        groups.setdefault(key, []).append(pos)
    starts, ends = list(frame["start_char"]), list(frame["end_char"])
    for members in groups.values():
        members.sort(key=lambda p: (starts[p], ends[p]))
        reach = None  # the earlier row reaching furthest right
        for p in members:
            if reach is not None and starts[p] < ends[reach]:
                flags[p] = flags[reach] = True
            if reach is None or ends[p] > ends[reach]:
                reach = p
    return flags
