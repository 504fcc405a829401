"""Expectation suite for `lineage`: every raw record ends as exactly one article, duplicate or quarantine row."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd
from great_expectations.expectations.row_conditions import Column

TABLE = "lineage"
DERIVED = ["record_key"]
OUTCOMES = ["article", "duplicate", "quarantined"]


def expectations() -> list:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeInSet(column="outcome", value_set=OUTCOMES),
        e.ExpectColumnValuesToBeUnique(column="record_key"),
        e.ExpectColumnValuesToMatchRegex(column="raw_sha256", regex=r"^[0-9a-f]{64}$"),
        e.ExpectColumnValuesToNotBeNull(column="article_id", row_condition=Column("outcome") != "quarantined"),
        e.ExpectColumnValuesToBeNull(column="article_id", row_condition=Column("outcome") == "quarantined"),
        e.ExpectColumnValuesToNotBeNull(column="reason", row_condition=Column("outcome") == "quarantined"),
        # A record that became an article points at an article of the batch.
        e.ExpectColumnValuesToBeInSet(column="article_id", value_set={"$PARAMETER": "article_ids"}, row_condition=Column("outcome") == "article"),
    ]


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    """`record_key`: path and record; one record has one outcome (a whole rejected file is record -1)."""
    frame = frame.copy()
    frame["record_key"] = frame["source_path"] + "#" + frame["source_record"].fillna(-1).astype(int).astype(str)
    return frame
