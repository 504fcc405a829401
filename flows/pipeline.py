"""The newsflow Prefect flow: discover -> read -> transform -> validate -> stage, shard by shard; then publish."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from prefect import flow

from expectations.gate import Gate
from flows import tasks
from newsflow.nlp import Extractor
from newsflow.settings import Settings
from newsflow.store import CuratedStore


@dataclass
class RunSummary:
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


def new_run_id(started_at: datetime) -> str:
    return f"{started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@flow(name="newsflow-run", log_prints=False, validate_parameters=False)
def newsflow_run(settings: Settings, on_progress: Callable[[int, int], None] | None = None) -> RunSummary:
    started_at = datetime.now(timezone.utc)
    run_id = new_run_id(started_at)
    store = CuratedStore(settings.curated_dir)
    gate = Gate()
    discovery = tasks.discover_raw_files(settings.raw_dir, settings.exclude)
    files = discovery.files
    with store.lock(), Extractor(settings.model_name, settings.workers, settings.batch_size) as extractor:
        state = tasks.load_published_state(store, run_id, started_at)
        staging = store.stage(run_id)
        try:
            reasons: dict[str, int] = {}
            for n, start in enumerate(range(0, len(files), settings.shard_size)):
                shard = files[start : start + settings.shard_size]
                new_files = tasks.read_new_raw_files(settings.raw_dir, shard, state)
                parsed = tasks.parse_raw_files(new_files, started_at, settings.day_first)
                tables = tasks.build_article_rows(parsed, state, settings.default_language)
                if settings.extract:
                    tables.update(tasks.extract_rows(tables["articles"], extractor))
                tasks.validate_tables(gate, tables, state, f"shard-{n:05d}")
                tasks.stage_tables(staging, tables, new_files, state)
                for r in parsed.rejections:
                    reasons[r.reason] = reasons.get(r.reason, 0) + 1
                if on_progress:
                    on_progress(min(start + len(shard), len(files)), len(files))
            published = tasks.publish_run(store, staging, gate, state, settings, datetime.now(timezone.utc))
        except BaseException:
            staging.abort()
            raise
    return RunSummary(
        run_id=run_id,
        published=published,
        files_seen=state.files_seen,
        files_new=state.files_new,
        articles_written=state.articles_written,
        mentions_written=state.mentions_written,
        duplicates_merged=state.duplicates_merged,
        quarantined=state.quarantined,
        rows=state.rows,
        failures=[str(f) for f in state.report.failures],
        quarantine_reasons=reasons,
        excluded=discovery.excluded,
        seconds=(datetime.now(timezone.utc) - started_at).total_seconds(),
    )
