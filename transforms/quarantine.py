"""The `quarantine` table: one row per input that could not become an article."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from newsflow.schema import QUARANTINE
from transforms.records import Rejection


def build_quarantine(rejections: list[Rejection], run_id: str, at: datetime) -> pa.Table:
    ordered = sorted(rejections, key=lambda r: (r.source_path, -1 if r.source_record is None else r.source_record, r.reason))
    return pa.Table.from_pydict(
        {
            "source_path": [r.source_path for r in ordered],
            "source_record": [r.source_record for r in ordered],
            "reason": [r.reason for r in ordered],
            "detail": [r.detail for r in ordered],
            "raw_sha256": [r.raw_sha256 for r in ordered],
            "run_id": [run_id] * len(ordered),
            "quarantined_at": [at] * len(ordered),
        },
        schema=QUARANTINE,
    )
