"""The `events` table: who did what to whom, when and where, coded in PLOVER with CAMEO roots, from the article's
spaCy Docs and resolved mentions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa

from newsflow.schema import EVENTS


@dataclass(frozen=True)
class Event:
    field: str
    sentence_index: int
    start: int  # evidence span
    end: int
    text: str
    trigger: str
    trigger_lemma: str
    trigger_start: int
    trigger_end: int
    event_type: str
    cameo_root: str
    quad_class: int
    goldstein: float
    actor1_text: str | None = None
    actor1_entity_id: str | None = None
    actor1_country: str | None = None
    actor2_text: str | None = None
    actor2_entity_id: str | None = None
    actor2_country: str | None = None
    location_text: str | None = None
    location_entity_id: str | None = None
    location_country: str | None = None
    event_date: date | None = None
    date_text: str | None = None
    date_precision: str | None = None
    date_source: str | None = None
    mode: str = "asserted"
    confidence: float = 0.5


def event_id(article_id: str, e: Event) -> str:
    return hashlib.sha256(f"{article_id}|{e.field}|{e.trigger_start}|{e.trigger_end}|{e.event_type}".encode()).hexdigest()[:20]


def article_events(docs: dict, texts: dict, mentions: list, published_at: datetime | None) -> list[Event]:
    """Events of one article. `docs` and `texts` by field (the Docs may be of a re-cased copy of the same length;
    offsets and text come from `texts`); `mentions` are the article's resolved `Mention`s."""
    return []  # filled in by the events work (issue 11)


_COLUMNS = {"start": "start_char", "end": "end_char", "trigger_start": "trigger_start_char", "trigger_end": "trigger_end_char"}


def build_events(rows: list[tuple[str, list[Event]]]) -> pa.Table:
    """(article_id, events) pairs to the `events` table."""
    cols: dict[str, list] = {name: [] for name in EVENTS.names}
    for article_id, events in rows:
        for e in events:
            values = {_COLUMNS.get(k, k): v for k, v in e.__dict__.items()}
            values.update(event_id=event_id(article_id, e), article_id=article_id)
            for name in EVENTS.names:
                cols[name].append(values[name])
    return pa.Table.from_pydict(cols, schema=EVENTS)
