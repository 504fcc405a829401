"""Calls the Prefect flow with progress: what `newsflow run` and `newsflow eval` share.

In a terminal a bar (files done of the known total, with what the start-up is doing until the first shard is in);
anywhere else (CI logs, `make run | tee`) plain lines, at least one every `HEARTBEAT` seconds.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from newsflow.settings import Settings
from transforms.readers import FORMATS, format_of

# Exit code of `newsflow run` when RAW holds no file a reader supports: nothing ran, nothing changed.
NOTHING_TO_READ = 3
HEARTBEAT = 10.0
MIN_INTERVAL = 2.0  # seconds between two shard lines, except the last


@dataclass(frozen=True)
class RawScan:
    """What `newsflow run` would read under RAW, found before paying for the flow's start-up."""

    files: list[str] = field(default_factory=list)
    supported: int = 0
    excluded: int = 0
    unsupported_suffixes: tuple[str, ...] = ()

    def describe(self, raw: Path) -> str:
        if not self.files:
            excluded = f" ({self.excluded} excluded by --exclude)" if self.excluded else ""
            return f"no files under {raw}{excluded}"
        kinds = ", ".join(self.unsupported_suffixes) or "no extension"
        supported = ", ".join(sorted(set(FORMATS)))
        return f"none of the {len(self.files)} files under {raw} has a supported format (found {kinds}; supported: {supported}, optionally .gz)"


def walk_raw(raw_dir: Path, exclude: tuple[str, ...]) -> tuple[list[tuple[str, int]], list[str]]:
    """The discovery rules, in one place for the flow and for the CLI's quick look before start-up: every file under
    RAW, recursively, as (relative path, size) in path order; hidden files and folders skipped; names matching an
    `exclude` pattern, and links leading out of RAW, listed as excluded and never read."""
    raw_dir = Path(raw_dir)
    root = raw_dir.resolve()
    found, excluded = [], []
    for dirpath, dirnames, filenames in os.walk(raw_dir, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and (Path(dirpath) / d).resolve().is_relative_to(root))
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(raw_dir).as_posix()
            if any(fnmatch.fnmatch(name.lower(), pattern.lower()) for pattern in exclude) or not path.resolve().is_relative_to(root):
                excluded.append(rel)
                continue
            found.append((rel, path.stat().st_size))
    return sorted(found), sorted(excluded)


def scan_raw(raw_dir: Path, exclude: tuple[str, ...]) -> RawScan:
    """The files the flow's discovery would find, and which of them a reader supports."""
    found, excluded = walk_raw(raw_dir, exclude)
    files = [rel for rel, _size in found]
    supported = [rel for rel in files if format_of(rel.rsplit("/", 1)[-1])[0] is not None]
    suffixes = {"".join(Path(rel).suffixes[-2:]).lower() or "no extension" for rel in files if rel not in set(supported)}
    return RawScan(files, len(supported), len(excluded), tuple(sorted(suffixes)))


def _stage(done: int | None, total: int | None, shard: tuple[int, int] | None = None, short: bool = False) -> str:
    """What the run is doing: `done` None while importing, 0 during the fixed start-up, then the shard the flow
    names (k of n: the flow plans shards by files and bytes, so only it knows how many there are)."""
    if done is None:
        return "importing Prefect, GX, spaCy" if short else "start-up: importing Prefect, Great Expectations and spaCy"
    if total is not None and done >= total:
        return "publishing"
    if shard is not None:
        return f"shard {shard[0]}/{shard[1]}" if short else f"shard {shard[0]} of {shard[1]}"
    if short:
        return f"{'Prefect API' if os.environ.get('PREFECT_API_URL') else 'Prefect server'}, model"
    api = os.environ.get("PREFECT_API_URL")
    server = f"connecting to Prefect at {api}" if api else "starting Prefect's temporary local server"
    return f"start-up: {server}, loading the spaCy model"


def _flow(reextract: bool, settings: Settings | None = None):
    """The flow to call, on the task runner the settings name (`newsflow run` only; re-extraction runs here)."""
    import importlib

    pipeline = importlib.import_module("flows.pipeline")
    if reextract:
        return pipeline.newsflow_reextract
    if settings is not None and settings.task_runner == "dask":
        return pipeline.newsflow_run.with_options(task_runner=dask_task_runner(settings))
    return pipeline.newsflow_run


class ServeError(RuntimeError):
    pass


def serve_flow(settings: Settings, name: str = "newsflow", cron: str | None = None, interval: float | None = None) -> None:
    """Serve `newsflow run` as a Prefect deployment (Prefect's own `flow.serve`) with these settings as its
    parameter: runs start on the schedule, or when triggered in the UI, each in a fresh process, one at a time.
    Stopping (Ctrl-C) pauses the schedule."""
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        raise ServeError(
            "serving needs a Prefect server: start one (`prefect server start`) and "
            "`export PREFECT_API_URL=http://127.0.0.1:4200/api`, or point PREFECT_API_URL at yours"
        )
    settings = settings.replace(raw_dir=Path(settings.raw_dir).absolute(), curated_dir=Path(settings.curated_dir).absolute())
    flow = _flow(False, settings)
    flow.serve(name=name, cron=cron, interval=interval, parameters={"settings": settings.to_json()}, limit=1,
               description=f"newsflow run {settings.raw_dir} -> {settings.curated_dir}")


def dask_task_runner(settings: Settings):
    """Prefect's Dask task runner: the cluster at `dask_address`, or a local cluster of `workers` processes (one
    per core when 0) with one thread each (spaCy holds the GIL) that starts and stops with the run."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # read when distributed is imported
    from prefect_dask import DaskTaskRunner

    logging.getLogger("distributed.nanny").setLevel(logging.ERROR)  # "still alive after 4 s, killing" at every shutdown
    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    workers = settings.workers or os.cpu_count() or 1
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": ":0"})


def prestart_for(settings: Settings, reextract: bool = False, small_too: bool = False) -> bool:
    """Start the NLP worker processes now when the run will hand them work (raw input of `PRESTART_MIN_BYTES` or
    more, extraction on the default runner): each loads the model and warms its extractors while this process
    starts up, and this process never loads the model. `small_too`: a smaller input gets one worker process, so the
    model loads beside this process's imports instead of after them (when no server boot hides it). True when
    they were started (or already were)."""
    from newsflow.nlp import PRESTART_MIN_BYTES, prestart_workers

    if not settings.extract or reextract or settings.task_runner != "default":
        return False
    found, _excluded = walk_raw(Path(settings.raw_dir), settings.exclude)
    large = sum(size for _rel, size in found) >= PRESTART_MIN_BYTES
    if not (large or small_too or prestarted(settings)):
        return False
    return prestart_workers(settings.model_name, settings.workers, settings.batch_size, None if large else 1)


def prestarted(settings: Settings) -> bool:
    """Whether worker processes for these settings were started ahead of the run."""
    from newsflow.nlp import _PRESTARTED

    return (settings.model_name, settings.workers or os.cpu_count() or 1, settings.batch_size, False) in _PRESTARTED


@contextmanager
def _started(settings: Settings, reextract: bool, pause_collector: bool = False):
    """The flow, once started: Prefect's temporary server boots in its own process while this one imports Prefect
    and Great Expectations (see `newsflow.startup`). The worker processes of a large input start first and load the
    model beside both; a small input's model loads in a worker beside the imports against a running server, and
    here, after them, while a server boots (it fits in the boot). A missing model fails here, before any work.
    `pause_collector`: see `run_pipeline`."""
    from newsflow.startup import collector_paused, prefect_api

    if os.environ.get("PREFECT_API_URL"):
        # A configured server boots nothing: the workers start now, before Prefect's own import (1.5 s here), so a
        # small input's model is loaded by the time this process is ready for its first shard.
        prestart_for(settings, reextract, small_too=True)
    flows = []
    with collector_paused() if pause_collector else contextlib.nullcontext(lambda: None) as resume_collector:

        def warm_up(booting: bool) -> None:
            import importlib

            prestart_for(settings, reextract, small_too=not booting)  # before the imports below: they take seconds
            pipeline = importlib.import_module("flows.pipeline")
            pipeline.warm_up(settings, reextract)
            flows.append(_flow(reextract, settings))
            resume_collector()  # the run's own work with the collector on

        with prefect_api(warm_up):
            yield flows[0]


def run_pipeline(settings: Settings, console: Console | None = None, total_files: int | None = None, reextract: bool = False,
                 pause_collector: bool = False):
    """Run the flow (or the re-extraction flow); `total_files` (from `scan_raw`) gives the bar its total before the
    first shard is in. Progress moves with the articles extracted inside a shard. `pause_collector`: a process that
    runs this one flow (`newsflow run`) skips garbage collection during the start-up and freezes what is alive after
    it (`newsflow.startup.collector_paused`); a process that goes on (tests, the bench) must not: what it holds then
    (an open DuckDB connection in a cycle, say) would never be collected."""
    console = console or Console(stderr=True)
    unit = "articles" if reextract else "files"
    if not settings.progress:
        with _started(settings, reextract, pause_collector) as flow:
            return flow(settings)
    if console.is_terminal:
        return _run_with_bar(settings, console, total_files, reextract, unit, pause_collector)
    return _run_with_lines(settings, console, total_files, reextract, unit, pause_collector)


def _run_with_bar(settings: Settings, console: Console, total_files: int | None, reextract: bool, unit: str, pause_collector: bool = False):
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(), TextColumn(unit), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True) as bar:
        job = bar.add_task(_stage(None, total_files, short=True), total=total_files)
        with _started(settings, reextract, pause_collector) as flow:
            bar.update(job, description=_stage(0, total_files, short=True))

            def on_progress(done: float, total: int, shard: tuple[int, int] | None = None) -> None:
                done = int(done)
                bar.update(job, completed=done, total=total, description=_stage(done, total, shard, short=True))

            return flow(settings, on_progress=on_progress)


class _Lines:
    """Plain progress lines: one per shard (at most every few seconds) and a heartbeat while nothing moves."""

    def __init__(self, console: Console, total: int | None, unit: str = "files"):
        self.console, self.total, self.done, self.unit = console, total, 0, unit
        self.started = self.last = time.monotonic()
        self.stage = _stage(None, total)
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def say(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self.last < MIN_INTERVAL:
                return
            self.last = now
            total = "?" if self.total is None else f"{self.total:,}"
            share = f" ({self.done / self.total:.0%})" if self.total else ""
            self.console.print(f"newsflow: {self.done:,}/{total} {self.unit}{share}, {now - self.started:.0f} s; {self.stage}", markup=False, highlight=False, soft_wrap=True)

    def on_progress(self, done: float, total: int, shard: tuple[int, int] | None = None) -> None:
        self.done, self.total = int(done), total
        self.stage = _stage(self.done, total, shard)
        self.say(force=self.done >= total)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            if time.monotonic() - self.last >= HEARTBEAT:
                self.say()

    def __enter__(self) -> "_Lines":
        self.say(force=True)
        threading.Thread(target=self._beat, name="newsflow-progress", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()


def _run_with_lines(settings: Settings, console: Console, total_files: int | None, reextract: bool, unit: str, pause_collector: bool = False):
    with _Lines(console, total_files, unit) as lines, _started(settings, reextract, pause_collector) as flow:
        lines.stage = _stage(0, total_files)
        lines.say(force=True)
        return flow(settings, on_progress=lines.on_progress)
