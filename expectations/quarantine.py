"""Expectation suite for `quarantine`."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd

from transforms.records import REASONS

TABLE = "quarantine"


def expectations() -> list:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeInSet(column="reason", value_set=sorted(REASONS)),
        e.ExpectColumnValuesToMatchRegex(column="raw_sha256", regex=r"^[0-9a-f]{64}$"),
        e.ExpectColumnValueLengthsToBeBetween(column="detail", min_value=1),
    ]


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    return frame
