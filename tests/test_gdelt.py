"""The `gdelt_events` view: GDELT 2.0 Events column names and codes over a small events/articles pair."""

from __future__ import annotations

import csv
from datetime import date, datetime, timezone

import duckdb
import pyarrow as pa
import pytest

from newsflow.gdelt import GDELT_EVENTS_SQL, create_gdelt_view
from tests.conftest import CORPORA, needs_corpora
from transforms.events import Event, build_events, event_id

PUBLISHED = datetime(2024, 3, 6, 9, 30, tzinfo=timezone.utc)


def _event(**kw) -> Event:
    base = dict(field="body", sentence_index=2, start=0, end=10, text="x" * 10, trigger="x", trigger_lemma="x",
                trigger_start=0, trigger_end=1)
    return Event(**{**base, **kw})


@pytest.fixture()
def con():
    sanction = _event(event_type="SANCTION", cameo_root="16", cameo_code="166", quad_class=4, goldstein=-8.0,
                      actor1_text="Norway", actor1_country="NO", actor2_text="Belarus", actor2_country="BY",
                      location_text="Oslo", location_country="NO", event_date=date(2024, 3, 4), date_precision="day")
    talks = _event(field="title", sentence_index=0, trigger_start=5, trigger_end=6, event_type="CONSULT", cameo_root="04",
                   cameo_code="040", quad_class=1, goldstein=1.0, actor1_text="Russia", actor1_country="RU", mode="planned")
    events = build_events([("a1", [sanction, talks])])
    articles = pa.table({
        "article_id": ["a1"], "url": ["https://news.example/a1"], "source_path": ["a1.txt"],
        "published_at": pa.array([PUBLISHED], pa.timestamp("us", tz="UTC")),
        "ingested_at": pa.array([datetime(2024, 3, 7, 12, 0, 5, tzinfo=timezone.utc)], pa.timestamp("us", tz="UTC")),
    })
    c = duckdb.connect()
    c.register("events", events)
    c.register("articles", articles)
    create_gdelt_view(c)
    yield c, events
    c.close()


def test_gdelt_query_runs_on_our_events(con):
    c, events = con
    # A query as a GDELT user writes it against the GDELT 2.0 events table.
    rows = c.execute(
        "SELECT GLOBALEVENTID, SQLDATE, Actor1Name, Actor1CountryCode, Actor2CountryCode, EventCode, EventBaseCode, "
        "EventRootCode, QuadClass, GoldsteinScale, ActionGeo_FullName, ActionGeo_CountryCode, IsRootEvent, DATEADDED, SOURCEURL "
        "FROM gdelt_events WHERE QuadClass = 4 AND SQLDATE BETWEEN 20240301 AND 20240331 ORDER BY SQLDATE"
    ).fetchall()
    sanction_id = events.column("event_id")[0].as_py()
    assert rows == [(int(sanction_id[:15], 16), 20240304, "Norway", "NOR", "BLR", "166", "166", "16", 4, -8.0,
                     "Oslo, Norway", "NO", 0, 20240307120005, "https://news.example/a1")]
    # No date of its own: SQLDATE falls back to the publication date, as in GDELT; the title event is a root event.
    assert c.execute("SELECT SQLDATE, Year, MonthYear, Actor1Code, IsRootEvent, ActionGeo_FullName FROM gdelt_events WHERE EventRootCode = '04'").fetchall() == [
        (20240306, 2024, 202403, "RUS", 1, None)
    ]
    assert event_id("a1", _event(event_type="SANCTION", cameo_root="16", quad_class=4, goldstein=-8.0)) == sanction_id


@needs_corpora
def test_columns_are_gdelt_2_events_columns_in_order(con):
    c, _ = con
    header = CORPORA / "gdelt-schema" / "header_rows" / "GDELT_2.0_Events_Column_Labels_Header_Row_Sep2016.csv"
    with header.open(encoding="utf-8") as fh:
        gdelt = [r["tableId"] for r in csv.DictReader(fh)]
    ours = [d[0] for d in c.execute("SELECT * FROM gdelt_events LIMIT 0").description]
    assert ours == gdelt and len(ours) == 61


def test_sql_is_a_select_over_events_and_articles():
    text = GDELT_EVENTS_SQL.upper()
    assert "FROM EVENTS" in text and "JOIN ARTICLES" in text and "CREATE" not in text
