"""The `lineage` table: what each raw record became (an article, a duplicate of one, or a quarantine row)."""

from __future__ import annotations

import pyarrow as pa

from newsflow.schema import LINEAGE


def build_lineage(articles: pa.Table, duplicates: list, rejections: list, file_shas: dict[str, str], run_id: str) -> pa.Table:
    """`articles` (source_path, source_record, article_id), `duplicates` [(RawArticle, article_id)], `rejections`
    [Rejection]; `file_shas` maps each path to the SHA-256 of the bytes read."""
    rows = [
        (p, r, "article", a, None)
        for p, r, a in zip(*(articles.column(c).to_pylist() for c in ("source_path", "source_record", "article_id")))
    ]
    rows += [(rec.source_path, rec.source_record, "duplicate", aid, None) for rec, aid in duplicates]
    rows += [(r.source_path, r.source_record, "quarantined", None, r.reason) for r in rejections]
    rows.sort(key=lambda row: (row[0], -1 if row[1] is None else row[1]))
    return pa.Table.from_pydict(
        {
            "source_path": [r[0] for r in rows],
            "source_record": [r[1] for r in rows],
            "raw_sha256": [file_shas[r[0]] for r in rows],
            "outcome": [r[2] for r in rows],
            "article_id": [r[3] for r in rows],
            "reason": [r[4] for r in rows],
            "run_id": [run_id] * len(rows),
        },
        schema=LINEAGE,
    )
