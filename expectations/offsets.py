"""The `offsets_exact` test the mentions, quotes and events suites derive, safe on null offsets."""

from __future__ import annotations

import pandas as pd


def is_slice(texts: dict, article_id, field, start, end, value) -> bool:
    """True when `value` is exactly the article field's [start:end]. A null offset is simply not exact (a column
    with a null turns into floats in pandas, and slicing with floats or NaN raised instead of failing the check)."""
    if start is None or end is None or start != start or end != end or pd.isna(start) or pd.isna(end):
        return False
    return (texts.get((article_id, field)) or "")[int(start):int(end)] == value


def rows(frame: pd.DataFrame, *columns: str):
    """The frame's `columns` row by row, as Python values: iterating a pandas column of Arrow strings directly
    costs ten times more (a shard's derived columns spent most of their time there)."""
    return zip(*(frame[c].tolist() for c in columns))
