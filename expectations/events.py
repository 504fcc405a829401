"""Expectation suite for `events`."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd

from expectations.levels import record_level
from expectations.offsets import is_slice

TABLE = "events"
RECORD_KEY = "article_id"
DERIVED = ["offsets_exact"]
EVENT_TYPES = ["AGREE", "CONSULT", "SUPPORT", "COOPERATE", "AID", "CONCEDE", "RETREAT", "INVESTIGATE", "DEMAND", "DISAPPROVE",
               "REJECT", "THREATEN", "PROTEST", "MOBILIZE", "SANCTION", "COERCE", "ASSAULT", "FIGHT", "CRIME"]
MODES = ["asserted", "planned", "hypothetical", "negated"]


def expectations() -> list:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeInSet(column="article_id", value_set={"$PARAMETER": "article_ids"}),
        *record_level([
        e.ExpectColumnValuesToBeUnique(column="event_id"),
        e.ExpectColumnValuesToBeInSet(column="offsets_exact", value_set=[True]),
        e.ExpectColumnValuesToBeInSet(column="event_type", value_set=EVENT_TYPES),
        e.ExpectColumnValuesToBeInSet(column="mode", value_set=MODES),
        e.ExpectColumnValuesToBeInSet(column="quad_class", value_set=[1, 2, 3, 4]),
        e.ExpectColumnValuesToBeBetween(column="goldstein", min_value=-10, max_value=10),
        e.ExpectColumnValuesToBeBetween(column="confidence", min_value=0, max_value=1),
        e.ExpectColumnValuesToMatchRegex(column="cameo_root", regex=r"^(0[1-9]|1[0-9]|20)$"),
        ]),
    ]


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    """`offsets_exact`: the evidence text and the trigger are exactly the slices they point to."""
    frame = frame.copy()
    texts = context.get("article_texts", {})
    frame["offsets_exact"] = [
        is_slice(texts, aid, f, s, e, t) and is_slice(texts, aid, f, ts, te, tr)
        for aid, f, s, e, t, ts, te, tr in zip(frame["article_id"], frame["field"], frame["start_char"], frame["end_char"], frame["text"],
                                               frame["trigger_start_char"], frame["trigger_end_char"], frame["trigger"])
    ]
    return frame
