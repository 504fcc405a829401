"""The newsflow Prefect flows: discover -> plan -> shards (read, parse, settle duplicates, extract, validate, stage)
-> publish -> report. Flows wire tasks; see flows/tasks.py."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Callable

from prefect import flow

from expectations.gate import Gate
from flows import tasks
from newsflow import heartbeats
from newsflow.memory import tune_malloc, use_system_allocator
from newsflow.nlp import Extractor, warm_extraction
from newsflow.runner import prestart_for
from newsflow.settings import Settings
from newsflow.store import CuratedStore, StoreError
from transforms.entities import warm_consolidation
from transforms.runs import RunSummary

heartbeats.install()  # Prefect's flow-run heartbeats without their wait of up to a second at the end of each run


def warm_up(settings: Settings, reextract: bool = False) -> None:
    """What every run needs before its first shard, done while Prefect's server starts: the GX suites and the model
    (a missing one fails here, before any work). A run whose raw input will keep worker processes busy starts them
    now, each loading the model, and this process never loads it; a small one loads it here, with what its first
    extraction in this process builds."""
    tune_malloc()
    use_system_allocator()
    import fastapi.encoders  # noqa: F401  Prefect imports it (0.5 s) when the flow run sends its parameters
    workers = prestart_for(settings, reextract)
    Gate().warm()
    if (settings.extract or reextract) and not workers:
        warm_extraction(settings.model_name)  # loads the gazetteer too
    elif settings.extract:
        warm_consolidation()  # this process never parses; publishing consolidates entities


def new_run_id(started_at: datetime) -> str:
    return f"{started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@flow(name="newsflow-run", log_prints=False, validate_parameters=False)
def newsflow_run(settings: Settings | dict, on_progress: Callable[..., None] | None = None) -> RunSummary:
    """One run; a served deployment passes `settings` as the JSON it stores. `on_progress(files_done, files_total,
    (shard, shards))` as the run moves."""
    settings = Settings.of(settings)
    started_at = datetime.now(timezone.utc)
    store, gate = CuratedStore(settings.curated_dir), Gate()
    discovery = tasks.discover_raw_files(settings.raw_dir, settings.exclude)
    with store.lock(), tasks.extractor_for(settings) as extractor:
        state = tasks.load_published_state(store, new_run_id(started_at), started_at, settings.model_name)
        staging = store.stage(state.run_id)
        try:
            plan = tasks.plan_raw_files(settings.raw_dir, discovery.files, state, settings.retry_failed)
            tasks.retract_replaced_rows(staging, plan, state)
            for shard in tasks.run_shards(discovery.files, plan, state, settings, extractor, on_progress):
                tables = tasks.validate_tables(gate, shard.tables, state, f"shard-{shard.n:05d}")
                tasks.stage_tables(staging, tables, shard.files, state)
            published = tasks.publish_run(store, staging, gate, state, settings, datetime.now(timezone.utc))
        except BaseException:
            staging.abort()
            raise
        return tasks.report_run(gate, state, published, discovery.excluded, settings)


@flow(name="newsflow-reextract", log_prints=False, validate_parameters=False)
def newsflow_reextract(settings: Settings, on_progress: Callable[..., None] | None = None) -> RunSummary:
    """Rebuild mentions, quotes and events for the articles whose extraction is missing or came from another model
    or extraction version, from the published articles (RAW is not read); published atomically like a run."""
    started_at = datetime.now(timezone.utc)
    store, gate = CuratedStore(settings.curated_dir), Gate()
    if store.current is None:
        raise StoreError(f"nothing is published in {settings.curated_dir}: run `newsflow run RAW --curated {settings.curated_dir}` first")
    with store.lock(), Extractor(settings.model_name, settings.workers, settings.batch_size) as extractor:
        state = tasks.load_published_state(store, new_run_id(started_at), started_at, settings.model_name)
        staging = store.stage(state.run_id)
        try:
            stale = tasks.retract_stale_extraction(staging, state)
            for start in range(0, len(stale), settings.shard_size):
                tasks.reextract_articles(staging, gate, extractor, stale[start : start + settings.shard_size], state, f"reextract-{start:07d}")
                if on_progress:
                    on_progress(min(start + settings.shard_size, len(stale)), len(stale), (start // settings.shard_size + 1, -(-len(stale) // settings.shard_size)))
            published = tasks.publish_run(store, staging, gate, state, settings, datetime.now(timezone.utc))
        except BaseException:
            staging.abort()
            raise
        return tasks.report_run(gate, state, published, [], settings)
