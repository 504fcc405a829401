"""The `entities` table: one row per canonical entity across all articles, aggregated from `mentions`."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from newsflow.schema import ENTITIES


def build_entities(mentions: pa.Table, articles: pa.Table) -> pa.Table:
    """`mentions` (entity_id, canonical_name, label, country_code, text, article_id) and `articles`
    (article_id, published_at) in, one row per entity_id out; ties are broken by name so reruns agree."""
    con = duckdb.connect()
    try:
        con.register("m", mentions)
        con.register("a", articles)
        result = con.sql(
            """
            WITH named AS (SELECT * FROM m WHERE entity_id IS NOT NULL),
            labels AS (
                SELECT entity_id, label, count(*) AS n FROM named GROUP BY ALL
            ), countries AS (
                SELECT entity_id, country_code, count(*) AS n FROM named WHERE country_code IS NOT NULL GROUP BY ALL
            )
            SELECT named.entity_id,
                   min(named.canonical_name) AS canonical_name,
                   (SELECT arg_max(label, (n, label)) FROM labels l WHERE l.entity_id = named.entity_id) AS label,
                   (SELECT arg_max(country_code, (n, country_code)) FROM countries c WHERE c.entity_id = named.entity_id) AS country_code,
                   list_sort(list_distinct(list(named.text))) AS aliases,
                   array_to_string(list_sort(list_distinct(list(named.text))), '; ') AS aliases_flat,
                   count(*)::BIGINT AS mention_count,
                   count(DISTINCT named.article_id)::BIGINT AS article_count,
                   min(a.published_at) AS first_seen,
                   max(a.published_at) AS last_seen
            FROM named LEFT JOIN a USING (article_id)
            GROUP BY named.entity_id
            ORDER BY named.entity_id
            """
        ).to_arrow_table()
    finally:
        con.close()
    return result.select(ENTITIES.names).cast(ENTITIES)
