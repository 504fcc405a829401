"""Expectation suite for `entities`."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd

from expectations.mentions import COUNTRY_CODES, LABELS

TABLE = "entities"


def expectations() -> list:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeUnique(column="entity_id"),
        e.ExpectColumnValuesToBeInSet(column="label", value_set=LABELS),
        e.ExpectColumnValuesToBeInSet(column="country_code", value_set=COUNTRY_CODES),
        e.ExpectColumnValuesToBeBetween(column="mention_count", min_value=1),
        e.ExpectColumnValuesToBeBetween(column="article_count", min_value=1),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="mention_count", column_B="article_count", or_equal=True),
        # Every entity_id used by a mention has its row here.
        e.ExpectColumnDistinctValuesToContainSet(column="entity_id", value_set={"$PARAMETER": "mention_entity_ids"}),
    ]


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    return frame
