"""The `runs` table: one row per published run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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


@dataclass
class RunSummary:
    """What `newsflow run` and `reextract` report (the CLI prints it)."""

    run_id: str
    published: bool
    files_seen: int
    files_new: int
    articles_written: int
    mentions_written: int
    duplicates_merged: int
    quarantined: int
    rows: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    quarantine_reasons: dict = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)
    seconds: float = 0.0
    records_seen: int = 0
    articles_retracted: int = 0
    articles_extracted: int = 0
    articles_stale: int = 0
    quotes_written: int = 0
    events_written: int = 0
    failed_validation: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)  # wall seconds of work by stage (see RunState.timed)
    data_docs: str = ""  # the run's Great Expectations Data Docs (index.html)
    worker_seconds: dict[str, float] = field(default_factory=dict)  # inside `extract`, summed over the NLP processes: model, rules
