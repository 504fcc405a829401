"""The newsflow Prefect flow: discover -> read -> transform -> validate -> stage, shard by shard; then publish."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from typing import Callable

from prefect import flow

from expectations.gate import Gate
from flows import tasks
from newsflow.nlp import Extractor, load_nlp
from newsflow.settings import Settings
from newsflow.store import CuratedStore, StoreError
from transforms.runs import RunSummary


def warm_up(settings: Settings, reextract: bool = False) -> None:
    """What every run needs before its first shard, done while Prefect's server starts: the GX suites, the model
    (a missing one fails here, before any work)."""
    Gate().warm()
    if settings.extract or reextract:
        load_nlp(settings.model_name)


def new_run_id(started_at: datetime) -> str:
    return f"{started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@flow(name="newsflow-run", log_prints=False, validate_parameters=False)
def newsflow_run(settings: Settings, on_progress: Callable[[int, int], None] | None = None) -> RunSummary:
    started_at = datetime.now(timezone.utc)
    run_id = new_run_id(started_at)
    store, gate = CuratedStore(settings.curated_dir), Gate()
    discovery = tasks.discover_raw_files(settings.raw_dir, settings.exclude)
    files = discovery.files
    with store.lock(), Extractor(settings.model_name, settings.workers, settings.batch_size) as extractor:
        read_started = time.perf_counter()
        state = tasks.load_published_state(store, run_id, started_at, settings.model_name)
        staging = store.stage(run_id)
        try:
            plan = tasks.plan_raw_files(settings.raw_dir, files, state, settings.retry_failed)
            tasks.retract_replaced_rows(staging, plan, state)
            state.stage_seconds["read"] = time.perf_counter() - read_started
            done = 0
            for n, shard in enumerate(shards(files, plan.to_read, settings.shard_size, settings.shard_mb * 1024 * 1024)):
                if any(f.rel_path in plan.to_read for f in shard):  # a shard with nothing new costs no task at all
                    with state.timed("read"):
                        new_files = tasks.read_new_raw_files(settings.raw_dir, shard, plan, settings.max_file_mb * 1024 * 1024)
                        parsed = tasks.parse_raw_files(new_files, started_at, settings.day_first, settings.max_file_mb * 1024 * 1024)
                        tables = tasks.build_article_rows(parsed, new_files, state, settings.default_language)
                    if settings.extract:
                        with state.timed("extraction"):
                            tables.update(tasks.extract_rows(tables["articles"], extractor, run_id, _within(on_progress, done, len(shard), len(files))))
                    with state.timed("validation"):
                        tables = tasks.validate_tables(gate, tables, state, f"shard-{n:05d}")
                    with state.timed("staging"):
                        tasks.stage_tables(staging, tables, new_files, state)
                done += len(shard)
                if on_progress:
                    on_progress(done, len(files))
            with state.timed("publish"):
                published = tasks.publish_run(store, staging, gate, state, settings, datetime.now(timezone.utc))
        except BaseException:
            staging.abort()
            raise
    state.stage_seconds.update(extractor.seconds)
    return summarize(state, published, discovery.excluded, started_at)


def shards(files: list["tasks.RawFile"], to_read: dict[str, str], max_files: int, max_bytes: int) -> list[list["tasks.RawFile"]]:
    """Consecutive runs of files, each at most `max_files` files and, counting only the files this run reads, at
    most `max_bytes` raw bytes (or one file): memory per shard stays flat however large the files are (Reuters
    holds 1,000 articles per file)."""
    out: list[list] = []
    size = 0
    for f in files:
        cost = f.size if f.rel_path in to_read else 0
        if not out or len(out[-1]) >= max_files or (cost and size and size + cost > max_bytes):
            out.append([])
            size = 0
        out[-1].append(f)
        size += cost
    return out


def _within(on_progress: Callable[[float, int], None] | None, start: int, size: int, total: int) -> Callable[[int, int], None] | None:
    """Progress inside a shard: its files advance as its articles are extracted (extraction is most of a run)."""
    if on_progress is None:
        return None
    return lambda done, of: on_progress(start + size * done / max(of, 1), total)


def summarize(state: "tasks.RunState", published: bool, excluded: list[str], started_at: datetime) -> RunSummary:
    return RunSummary(
        run_id=state.run_id,
        published=published,
        **state.counts(),
        mentions_written=state.mentions_written,
        rows=state.rows,
        failures=[str(f) for f in state.report.failures],
        quarantine_reasons=dict(state.reasons),
        excluded=excluded,
        seconds=(datetime.now(timezone.utc) - started_at).total_seconds(),
        quotes_written=state.quotes_written,
        events_written=state.events_written,
        failed_validation=len(state.report.quarantined),
        stage_seconds=dict(state.stage_seconds),
    )


@flow(name="newsflow-reextract", log_prints=False, validate_parameters=False)
def newsflow_reextract(settings: Settings, on_progress: Callable[[int, int], None] | None = None) -> RunSummary:
    """Rebuild mentions, quotes and events for the articles whose extraction is missing or came from another model
    or extraction version, from the published articles (RAW is not read); published atomically like a run."""
    started_at = datetime.now(timezone.utc)
    run_id = new_run_id(started_at)
    store, gate = CuratedStore(settings.curated_dir), Gate()
    if store.current is None:
        raise StoreError(f"nothing is published in {settings.curated_dir}: run `newsflow run RAW --curated {settings.curated_dir}` first")
    with store.lock(), Extractor(settings.model_name, settings.workers, settings.batch_size) as extractor:
        state = tasks.load_published_state(store, run_id, started_at, settings.model_name)
        staging = store.stage(run_id)
        try:
            stale = tasks.retract_stale_extraction(staging, state)
            for start in range(0, len(stale), settings.shard_size):
                tasks.reextract_articles(staging, gate, extractor, stale[start : start + settings.shard_size], state, f"reextract-{start:07d}")
                if on_progress:
                    on_progress(min(start + settings.shard_size, len(stale)), len(stale))
            published = tasks.publish_run(store, staging, gate, state, settings, datetime.now(timezone.utc))
        except BaseException:
            staging.abort()
            raise
    return summarize(state, published, [], started_at)
