"""The `runs` table: one row per published run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import pyarrow as pa

from newsflow.schema import RUNS


@dataclass
class RunRecord:
    run_id: str
    started_at: datetime
    finished_at: datetime
    raw_dir: str
    files_seen: int
    files_new: int
    articles_written: int
    duplicates_merged: int
    quarantined: int
    records_seen: int | None
    articles_retracted: int | None
    articles_extracted: int | None
    articles_stale: int | None
    rows_articles: int
    rows_mentions: int
    rows_entities: int
    rows_quarantine: int
    rows_quotes: int | None
    rows_events: int | None
    validation_passed: bool
    pipeline_version: str
    model_name: str


def build_run_row(record: RunRecord) -> pa.Table:
    return pa.Table.from_pylist([asdict(record)], schema=RUNS)
