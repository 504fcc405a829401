"""Expectation suite for `articles`."""

from __future__ import annotations

from datetime import datetime, timezone

import great_expectations as gx
import pandas as pd

from expectations.levels import record_level

TABLE = "articles"
RECORD_KEY = "article_id"
DERIVED = ["source_key"]
SOURCE_FORMATS = ["csv", "html", "json", "jsonl", "sgm", "txt"]


def expectations() -> list:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeUnique(column="article_id"),
        *record_level([
            e.ExpectColumnValuesToBeUnique(column="content_sha256"),
            e.ExpectColumnValuesToMatchRegex(column="content_sha256", regex=r"^[0-9a-f]{64}$"),
            e.ExpectColumnValuesToBeInSet(column="source_format", value_set=SOURCE_FORMATS),
            e.ExpectColumnValuesToBeBetween(column="word_count", min_value=1),
            e.ExpectColumnValuesToMatchRegex(column="language", regex=r"^(?:[a-z]{2,3}|und)$"),
            # The same bounds as the readers': 1900 to the run's start plus FUTURE_TOLERANCE ($PARAMETER run_latest).
            e.ExpectColumnValuesToBeBetween(column="published_at", min_value=datetime(1900, 1, 1, tzinfo=timezone.utc), max_value={"$PARAMETER": "run_latest"}),
            e.ExpectColumnValuesToBeBetween(column="updated_at", min_value=datetime(1900, 1, 1, tzinfo=timezone.utc), max_value={"$PARAMETER": "run_latest"}),
        ]),
        # Every quarantined input is absent from articles (table-level: a break here is a pipeline bug).
        e.ExpectColumnValuesToNotBeInSet(column="source_key", value_set={"$PARAMETER": "quarantined_keys"}),
        e.ExpectColumnValuesToNotBeInSet(column="source_path", value_set={"$PARAMETER": "quarantined_files"}),
    ]


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    """Derived columns the suite checks."""
    frame = frame.copy()
    frame["source_key"] = frame["source_path"] + "#" + frame["source_record"].astype(str)
    return frame
