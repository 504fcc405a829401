"""Expectation suite for `entities`."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd

from expectations.mentions import COUNTRY_CODES, LABELS
from expectations.offsets import rows

TABLE = "entities"
DERIVED = ["merged_into_root"]


def expectations() -> list:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeUnique(column="entity_id"),
        e.ExpectColumnValuesToBeInSet(column="merged_into_root", value_set=[True]),
        e.ExpectColumnValuesToBeInSet(column="label", value_set=LABELS),
        e.ExpectColumnValuesToBeInSet(column="country_code", value_set=COUNTRY_CODES),
        e.ExpectColumnValuesToBeBetween(column="mention_count", min_value=1),
        e.ExpectColumnValuesToBeBetween(column="article_count", min_value=1),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="mention_count", column_B="article_count", or_equal=True),
        # Every entity_id used by a mention has its row here.
        e.ExpectColumnDistinctValuesToContainSet(column="entity_id", value_set={"$PARAMETER": "mention_entity_ids"}),
    ]


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    """`merged_into_root`: an id merged into another points at a row of this table that is itself not merged (one
    step from any id to its entity), and never at itself."""
    frame = frame.copy()
    if "merged_into" not in frame or "entity_id" not in frame:  # a missing column fails the column-list check
        frame["merged_into_root"] = True
        return frame
    roots = set(frame.loc[frame["merged_into"].isna(), "entity_id"])
    frame["merged_into_root"] = [m is None or m != m or (m in roots and m != e) for e, m in rows(frame, "entity_id", "merged_into")]
    return frame
