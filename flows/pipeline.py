"""The newsflow Prefect flows: discover -> plan -> shards (read, parse, settle duplicates, extract, validate, stage)
-> publish -> report. Flows wire tasks; see flows/tasks.py."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Callable

from prefect import Flow

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
    workers = prestart_for(settings, reextract)
    Gate().warm()
    if (settings.extract or reextract) and not workers:
        warm_extraction(settings.model_name)  # loads the gazetteer too
    elif settings.extract:
        warm_consolidation()  # this process never parses; publishing consolidates entities


class PipelineFlow(Flow):
    """Prefect's Flow, sending a run's parameters to the API without importing FastAPI's JSON encoder (0.2 s of
    every run's start-up, for values it turns into the same JSON): the settings as `Settings.to_json` (what the
    encoder makes of the dataclass) and a callback as Prefect's placeholder for a value it does not send. Any other
    value goes through Prefect's own `serialize_parameters`."""

    def serialize_parameters(self, parameters: dict) -> dict:
        ours = {k: _parameter_json(v) for k, v in parameters.items() if isinstance(v, Settings) or v is None or _is_callback(v)}
        rest = super().serialize_parameters({k: v for k, v in parameters.items() if k not in ours}) if len(ours) < len(parameters) else {}
        return {k: ours[k] if k in ours else rest[k] for k in parameters if k in ours or k in rest}

    def with_options(self, **options) -> "PipelineFlow":
        changed = super().with_options(**options)  # a plain Flow
        changed.__class__ = type(self)
        return changed


def _is_callback(value) -> bool:
    return callable(value) and not isinstance(value, type)


def _parameter_json(value):
    if isinstance(value, Settings):
        return value.to_json()
    return None if value is None else f"<{type(value).__name__}>"


def flow(**options) -> Callable[[Callable], PipelineFlow]:
    """`prefect.flow` making a `PipelineFlow`."""
    return lambda fn: PipelineFlow(fn, **options)


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
