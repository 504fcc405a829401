"""Expectation suite for `events`."""

from __future__ import annotations

from datetime import date, datetime

import great_expectations as gx
import pandas as pd

from expectations.levels import record_level
from expectations.offsets import is_slice, rows

TABLE = "events"
RECORD_KEY = "article_id"
DERIVED = ["offsets_exact", "cameo_consistent", "date_not_after_publication", "entity_ids_known"]
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
        e.ExpectColumnValuesToBeInSet(column="cameo_consistent", value_set=[True]),
        e.ExpectColumnValuesToBeInSet(column="date_not_after_publication", value_set=[True]),
        e.ExpectColumnValuesToBeInSet(column="entity_ids_known", value_set=[True]),
        e.ExpectColumnValuesToBeInSet(column="event_type", value_set=EVENT_TYPES),
        e.ExpectColumnValuesToBeInSet(column="mode", value_set=MODES),
        e.ExpectColumnValuesToBeInSet(column="quad_class", value_set=[1, 2, 3, 4]),
        e.ExpectColumnValuesToBeInSet(column="date_precision", value_set=["day", "week", "month", "year"]),
        e.ExpectColumnValuesToBeInSet(column="date_source", value_set=["clause", "sentence"]),
        e.ExpectColumnValuesToBeBetween(column="goldstein", min_value=-10, max_value=10),
        e.ExpectColumnValuesToBeBetween(column="confidence", min_value=0, max_value=1),
        e.ExpectColumnValuesToMatchRegex(column="cameo_root", regex=r"^(0[1-9]|1[0-9]|20)$"),
        e.ExpectColumnValuesToMatchRegex(column="cameo_code", regex=r"^(0[1-9]|1[0-9]|20)[0-9]{0,2}$"),
        ]),
    ]


def _cameo_consistent(row, codes: dict, pairs: dict) -> bool:
    """Type and root go together as the CAMEO->PLOVER table says; quad class and Goldstein are those of the CAMEO
    code (or, without one, of some code under that root and type)."""
    root, kind, quad, goldstein, code = row
    if pd.notna(code):
        c = codes.get(code)
        return c is not None and (c.root, c.plover, c.quad_class) == (root, kind, quad) and abs(c.goldstein - goldstein) < 1e-4
    return any(c.quad_class == quad and abs(c.goldstein - goldstein) < 1e-4 for c in pairs.get((root, kind), []))


def _day(value) -> date | None:
    if value is None or (not isinstance(value, (date, datetime)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.date() if isinstance(value, datetime) else value


def prepare(frame: pd.DataFrame, context: dict) -> pd.DataFrame:
    """`offsets_exact`: the evidence text and the trigger are exactly the slices they point to.
    `cameo_consistent`: event_type, cameo_root, quad_class and goldstein agree with the CAMEO table.
    `date_not_after_publication`: an asserted event is not dated after its article's publication (needs
    `context["published_at"]` = {article_id: datetime}; true where the publication date is unknown). Planned,
    hypothetical and negated events may lie ahead ("will not meet next week").
    `entity_ids_known`: every actor and location entity id is an entity of the batch's mentions (needs
    `context["entity_ids"]`, the set of the mentions' entity ids; true where it is not given)."""
    from transforms.events import lexicon

    frame = frame.copy()
    texts = context.get("article_texts", {})
    frame["offsets_exact"] = [
        is_slice(texts, aid, f, s, e, t) and is_slice(texts, aid, f, ts, te, tr)
        for aid, f, s, e, t, ts, te, tr in rows(frame, "article_id", "field", "start_char", "end_char", "text", "trigger_start_char", "trigger_end_char", "trigger")
    ]
    codes = lexicon().codes
    pairs: dict = {}
    for c in codes.values():
        pairs.setdefault((c.root, c.plover), []).append(c)
    frame["cameo_consistent"] = [
        _cameo_consistent(row, codes, pairs)
        for row in rows(frame, "cameo_root", "event_type", "quad_class", "goldstein", "cameo_code")
    ]
    published = context.get("published_at", {})
    frame["date_not_after_publication"] = [
        mode != "asserted" or _day(d) is None or _day(published.get(aid)) is None or _day(d) <= _day(published.get(aid))
        for aid, d, mode in rows(frame, "article_id", "event_date", "mode")
    ]
    known = context.get("entity_ids")
    frame["entity_ids_known"] = [
        known is None or all(pd.isna(x) or x in known for x in ids)
        for ids in rows(frame, "actor1_entity_id", "actor2_entity_id", "location_entity_id")
    ]
    return frame
