"""Expectation suite for `mentions`."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd
import pycountry

from expectations.levels import record_level
from expectations.offsets import is_slice, rows

TABLE = "mentions"
RECORD_KEY = "article_id"
DERIVED = ["offsets_exact", "no_overlap"]
LABELS = ["PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
          "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"]
COUNTRY_CODES = sorted(c.alpha_2 for c in pycountry.countries)
# TIMEX3 values: dates (2021-12-30, 2021-12, 2022-W02, 2021-Q3, 2021-SU, 199, XXXX-12-25, XXXX-WXX-4, with a time),
# durations (P3Y, PT2H, PXW), and the reference points.
TIMEX_VALUE = (
    r"^(?:PRESENT_REF|PAST_REF|FUTURE_REF"
    r"|P(?:[0-9X.]+(?:Y|M|W|D|Q|H|DE|CE|ML|FY|WE|S))*(?:T(?:[0-9X.]+[HMS])+)?"
    r"|(?:[0-9]{1,4}|X{1,4}|[0-9]{2,3}X)(?:-(?:[0-9]{2}|XX|W[0-9]{1,2}|WXX|Q[1-4X]|H[12X]|SP|SU|FA|AU|WI|[0-9]{3}))?"
    r"(?:-(?:[0-9]{2}|XX|WE|[1-7X]))?(?:T(?:[0-9]{2}(?::[0-9]{2}(?::[0-9]{2})?)?|MO|MI|AF|EV|NI|DT|XX(?::XX)?))?)$"
)


def expectations() -> list:
    e = gx.expectations
    return [
        # Table-level: every mention points at an article of the batch.
        e.ExpectColumnValuesToBeInSet(column="article_id", value_set={"$PARAMETER": "article_ids"}),
        *record_level([
            e.ExpectColumnValuesToBeUnique(column="mention_id"),
            e.ExpectColumnValuesToBeInSet(column="offsets_exact", value_set=[True]),
            e.ExpectColumnValuesToBeInSet(column="no_overlap", value_set=[True]),
            e.ExpectColumnValuesToBeInSet(column="field", value_set=["title", "caption", "body"]),
            e.ExpectColumnValuesToBeInSet(column="label", value_set=LABELS),
            e.ExpectColumnValuesToBeInSet(column="country_code", value_set=COUNTRY_CODES),
            e.ExpectColumnValuesToMatchRegex(column="normalized_value", regex=TIMEX_VALUE),
            e.ExpectColumnValuesToMatchRegex(column="entity_id", regex=r"^[0-9a-f]{16}$"),
            e.ExpectColumnValuesToBeBetween(column="start_char", min_value=0),
            e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_char", column_B="start_char"),
            e.ExpectColumnValuesToBeBetween(column="sentence_index", min_value=0),
        ]),
    ]


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    """`offsets_exact`: the mention's text is exactly the slice of the article field it points into.
    `no_overlap`: the mention shares no character with an earlier mention of the same article field."""
    frame = frame.copy()
    texts = context.get("article_texts", {})
    frame["offsets_exact"] = [
        is_slice(texts, aid, field, start, end, text)
        for aid, field, start, end, text in rows(frame, "article_id", "field", "start_char", "end_char", "text")
    ]
    frame["no_overlap"] = no_overlap(frame)
    return frame


def no_overlap(frame: pd.DataFrame) -> pd.Series:
    """True for a mention that starts at or after the end of every mention before it in its article field."""
    if frame.empty:
        return pd.Series([], dtype=bool, index=frame.index)
    ordered = frame.sort_values(["article_id", "field", "start_char", "end_char"])
    group = [ordered["article_id"], ordered["field"]]
    running_end = ordered.groupby(group, sort=False)["end_char"].cummax()
    earlier_end = running_end.groupby(group, sort=False).shift(1)
    return (earlier_end.isna() | (ordered["start_char"] >= earlier_end)).reindex(frame.index)
