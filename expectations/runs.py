"""Expectation suite for `runs`."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd

TABLE = "runs"


def expectations() -> list:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeUnique(column="run_id"),
        e.ExpectColumnValuesToBeBetween(column="files_new", min_value=0),
        e.ExpectColumnValuesToBeBetween(column="articles_written", min_value=0),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="finished_at", column_B="started_at", or_equal=True),
    ]


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    return frame
