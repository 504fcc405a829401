"""The curated folder: versioned Parquet snapshots behind stable paths, switched atomically.

    OUT/articles -> current/articles            (relative links, made once)
    OUT/current  -> .versions/<run_id>          (replaced atomically by each run that publishes)
    OUT/.versions/<run_id>/<table>/[published_month=YYYY-MM/]part-<run_id>-<n>.parquet
    OUT/.versions/<run_id>/_state/files/part-<run_id>.parquet   (raw files already processed)
    OUT/newsflow.duckdb                          (one view per table; replaced atomically)
    OUT/_runs/<run_id>/                          (validation results and summary of every run, published or not)

A run stages a new version next to the current one: earlier Parquet files are hard-linked (never rewritten),
new rows go to new files, tables recomputed from all rows (entities, runs) are written whole. Readers of
`OUT/<table>/**/*.parquet` see the old snapshot or the new one, never a mix.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq

from newsflow.crash import checkpoint
from newsflow.gdelt import create_gdelt_view
from newsflow.schema import PARTITION_COLUMN, PARTITIONED, TABLES

VERSIONS = ".versions"
CURRENT = "current"
STATE_FILES = "_state/files"
STATE_EXTRACTION = "_state/extraction"
DB_NAME = "newsflow.duckdb"
FILES_SCHEMA = pa.schema([("source_path", pa.string()), ("raw_sha256", pa.string()), ("run_id", pa.string())])
# Which model and extraction version made each article's extraction rows (what `newsflow reextract` compares).
EXTRACTION_SCHEMA = pa.schema([("article_id", pa.string()), ("model_name", pa.string()), ("extraction_version", pa.string()), ("run_id", pa.string())])
STATE_TABLES = {STATE_FILES: FILES_SCHEMA, STATE_EXTRACTION: EXTRACTION_SCHEMA}
# Tables rewritten whole by every run; the others only ever gain files.
REWRITTEN = {"entities"}
# Quarantine reasons that can go away without a change to the file (after upgrading newsflow, or raising
# max_file_mb): `--retry-failed` reads such files again.
RETRIED = {"failed_validation", "too_large"}
# What a run id or a partition value may look like: it becomes a folder or file name, so it can never hold a path
# separator or be `..` (a crafted date, language or source field cannot lead a write out of the curated folder).
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def safe_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not _SAFE_NAME.fullmatch(value) or ".." in value:
        raise StoreError(f"{what} {value!r} cannot be a file or folder name (letters, digits, '_', '-', '.' only)")
    return value


class StoreError(RuntimeError):
    pass


def schema_of(table: str) -> pa.Schema:
    return TABLES[table] if table in TABLES else STATE_TABLES[table]


def conform(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """`data` with exactly the columns of `schema`, in order: columns added to the schema since a file was
    written come back null (they must be nullable; anything else is a folder this version cannot read)."""
    columns = []
    for f in schema:
        if f.name in data.column_names:
            columns.append(data.column(f.name).cast(f.type))
        elif f.nullable:
            columns.append(pa.nulls(data.num_rows, f.type))
        else:
            raise StoreError(f"a Parquet file lacks the required column {f.name!r}: the curated folder was written by an incompatible version; publish to a new folder")
    return pa.Table.from_arrays(columns, schema=schema)


@dataclass
class PriorState:
    """What earlier runs published, as far as a new run needs it."""

    files: dict[str, str]  # source_path -> raw_sha256 of the version already processed
    article_keys: pa.Table  # article_id, source_path, content_sha256, body_sha256
    quarantine_keys: set[tuple[str, int | None, str]]
    lineage: pa.Table  # source_path, outcome, article_id
    failed_paths: set[str] = frozenset()  # files `--retry-failed` reads again (see RETRIED)


class CuratedStore:
    def __init__(self, root: Path):
        # Absolute from the start: versions are compared with the resolved `current` link.
        self.root = Path(root).resolve()

    # --- reading ------------------------------------------------------------------------------------------------
    @property
    def current(self) -> Path | None:
        link = self.root / CURRENT
        return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None

    def files_of(self, table: str, version: Path | None = None) -> list[Path]:
        version = version or self.current
        if version is None or not (version / table).is_dir():
            return []
        return sorted((version / table).rglob("*.parquet"))

    def read(self, table: str, columns: list[str] | None = None, version: Path | None = None) -> pa.Table:
        files = self.files_of(table, version)
        schema = schema_of(table)
        if columns:
            schema = pa.schema([schema.field(c) for c in columns])
        if not files:
            return schema.empty_table()
        return pa.concat_tables([conform(pq.read_table(f), schema) for f in files])

    def sql_views(self, con: "duckdb.DuckDBPyConnection", tables: list[str], version: Path | None = None) -> None:
        """A view per table on `con` over the version's Parquet files (DuckDB reads them lazily, column by column:
        whole-corpus aggregates never hold the rows as Arrow). The columns are those of the files (by name; a column
        only newer files have reads null in older ones), so a folder written before a column was added still reads."""
        for table in tables:
            files = [str(f) for f in self.files_of(table, version)]
            if files:
                listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)  # a view cannot take parameters
                con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet([{listed}], union_by_name = true)")
            else:
                con.register(f"_{table}_empty", schema_of(table).empty_table())
                con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM _{table}_empty")

    def prior_state(self) -> PriorState:
        files = self.read(STATE_FILES)
        quarantined = self.read("quarantine", ["source_path", "source_record", "raw_sha256"])
        return PriorState(
            files=dict(zip(files.column("source_path").to_pylist(), files.column("raw_sha256").to_pylist())),
            article_keys=self.read("articles", ["article_id", "source_path", "content_sha256", "body_sha256"]),
            quarantine_keys=set(zip(*(quarantined.column(c).to_pylist() for c in quarantined.column_names))),
            lineage=self.read("lineage", ["source_path", "outcome", "article_id"]),
            failed_paths={p for p, r in zip(*(self.read("quarantine", ["source_path", "reason"]).column(c).to_pylist() for c in ("source_path", "reason"))) if r in RETRIED},
        )

    def lock(self) -> "RunLock":
        return RunLock(self.root)

    # --- writing ------------------------------------------------------------------------------------------------
    def stage(self, run_id: str) -> "Staging":
        """A new version to build; the caller holds `lock()`, so what earlier runs left half-made is removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.clean_leftovers()
        for name in list(TABLES):
            link = self.root / name
            if link.exists() and not link.is_symlink():
                raise StoreError(f"{link} is a real folder, not newsflow's link into {CURRENT}/; move it away or choose another --curated folder")
        return Staging(self, run_id)


    def clean_leftovers(self) -> None:
        """Remove what a killed run left behind (never visible to readers): versions still being staged, temporary
        links and database files, and a version renamed into place but never made current (it sorts after the
        current one, as run ids start with their start time). Only under the lock: no other run is writing them."""
        versions = self.root / VERSIONS
        current = self.current
        for version in sorted(versions.iterdir()) if versions.is_dir() else ():
            if version.name.endswith(".partial") or (version != current and (current is None or version.name > current.name)):
                shutil.rmtree(version, ignore_errors=True)
        for tmp in [*self.root.glob(f".{CURRENT}.*"), self.root / f".{DB_NAME}.tmp"]:
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()


class RunLock:
    """One run at a time per curated folder."""

    def __init__(self, root: Path):
        self.path = Path(root) / ".lock"

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.close()
            raise StoreError(f"another newsflow run is publishing to {self.path.parent}; wait for it to finish") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()


class Staging:
    """A version being built; invisible to readers until `commit`."""

    def __init__(self, store: CuratedStore, run_id: str):
        self.store = store
        self.run_id = safe_name(run_id, "run id")
        self.final = store.root / VERSIONS / run_id
        self.path = store.root / VERSIONS / f"{run_id}.partial"
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        self._parts: dict[str, int] = {}
        self.changed: set[str] = set()  # tables that gained or lost rows in this version
        self.previous = previous = store.current
        if previous is not None:
            for table in [*TABLES, *STATE_TABLES]:
                if table in REWRITTEN:
                    continue
                schema = schema_of(table)
                for src in store.files_of(table, previous):
                    dst = self.path / src.relative_to(previous)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    if pq.read_schema(src).remove_metadata().equals(schema.remove_metadata()):
                        os.link(src, dst)  # unchanged files are shared between versions, never rewritten
                    else:  # written before a column was added: carried over in today's schema
                        self._write_file(dst, conform(pq.read_table(src), schema))
        checkpoint("store.staged")

    def write(self, table: str, data: pa.Table) -> int:
        """Add rows to a table of this version (a new file per call, per partition). Returns rows written."""
        if data.num_rows == 0:
            return 0
        self.changed.add(table)
        schema = schema_of(table)
        n = self._parts.get(table, 0)
        self._parts[table] = n + 1
        name = f"part-{self.run_id}-{n:05d}.parquet"
        if table in PARTITIONED:
            months = data.column(PARTITION_COLUMN).to_pylist()
            body = data.drop_columns([PARTITION_COLUMN]).select(schema.names).cast(schema)
            for month in sorted(set(months)):
                safe_name(month, PARTITION_COLUMN)
                mask = pa.array([m == month for m in months])
                self._write_file(self.path / table / f"{PARTITION_COLUMN}={month}" / name, body.filter(mask))
        else:
            self._write_file(self.path / table / name, data.select(schema.names).cast(schema))
        return data.num_rows

    def retract(self, table: str, column: str, values: set) -> int:
        """Remove the rows whose `column` is in `values` from this version (files holding such rows are rewritten
        here; the published version keeps its own). Returns rows removed."""
        if not values:
            return 0
        removed = 0
        wanted = pa.array(sorted(values), pa.string())
        for path in self.store.files_of(table, self.path):
            data = pq.read_table(path)
            hit = pa.compute.is_in(data.column(column), value_set=wanted)
            n = pa.compute.sum(hit).as_py() or 0
            if n:
                tmp = path.with_name(path.name + ".tmp")
                pq.write_table(data.filter(pa.compute.invert(hit)), tmp, compression="zstd")
                os.replace(tmp, path)  # replaces this version's link only; the published file is untouched
                checkpoint("store.retract")
                removed += n
        if removed:
            self.changed.add(table)
        return removed

    def carry(self, table: str) -> bool:
        """Link a rewritten table's files from the previous version unchanged (its inputs did not change); False
        when there is no previous version to carry from."""
        files = self.store.files_of(table, self.previous) if self.previous is not None else []
        schema = schema_of(table).remove_metadata()
        if not files or any(not pq.read_schema(f).remove_metadata().equals(schema) for f in files):
            return False
        shutil.rmtree(self.path / table, ignore_errors=True)
        for src in files:
            dst = self.path / src.relative_to(self.previous)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.link(src, dst)
        return True

    def replace(self, table: str, data: pa.Table) -> None:
        """Write a table whole (tables recomputed from all rows)."""
        shutil.rmtree(self.path / table, ignore_errors=True)
        self._parts.pop(table, None)
        self.write(table, data)

    @staticmethod
    def _write_file(path: Path, table: pa.Table) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd")
        checkpoint("store.write")

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        return self.store.read(table, columns, version=self.path)

    def sql_views(self, con: "duckdb.DuckDBPyConnection", tables: list[str]) -> None:
        self.store.sql_views(con, tables, version=self.path)

    def row_count(self, table: str) -> int:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.store.files_of(table, self.path))

    def commit(self, keep_versions: int = 1) -> Path:
        """Make this version current in one atomic step (the `current` link), then refresh the DuckDB views and
        drop old versions. Killed before that step, readers keep the previous version; after it, the new one
        (the table links exist before, and the views read through them)."""
        for table, schema in TABLES.items():
            if not self.store.files_of(table, self.path):
                # Every table has at least one file, so globs and views work on an empty table.
                target = self.path / table / (f"{PARTITION_COLUMN}=unknown" if table in PARTITIONED else "")
                target.mkdir(parents=True, exist_ok=True)
                pq.write_table(schema.empty_table(), target / "part-empty.parquet", compression="zstd")
        checkpoint("commit.filled")
        os.rename(self.path, self.final)
        checkpoint("commit.renamed")
        root = self.store.root
        for table in TABLES:
            link = root / table
            if not link.is_symlink():
                os.symlink(os.path.join(CURRENT, table), link)
                checkpoint("commit.table_link")
        tmp_link = root / f".{CURRENT}.{self.run_id}"
        if tmp_link.is_symlink():
            tmp_link.unlink()
        os.symlink(os.path.join(VERSIONS, self.run_id), tmp_link)
        checkpoint("commit.tmp_link")
        os.replace(tmp_link, root / CURRENT)
        checkpoint("commit.switched")
        write_duckdb_views(root)
        checkpoint("commit.views")
        self._drop_old_versions(keep_versions)
        return self.final

    def abort(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def _drop_old_versions(self, keep: int) -> None:
        versions = self.store.root / VERSIONS
        current = self.store.current
        done = sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.endswith(".partial") and p != current), key=lambda p: p.name)
        for old in done[: max(0, len(done) - keep)]:
            shutil.rmtree(old, ignore_errors=True)
            checkpoint("commit.dropped")


def write_duckdb_views(root: Path) -> Path:
    """OUT/newsflow.duckdb with one view per table over the stable Parquet paths (absolute: DuckDB resolves
    relative paths against the client's working directory, not the database file)."""
    root = Path(root).resolve()
    tmp = root / f".{DB_NAME}.tmp"
    if tmp.exists():
        tmp.unlink()
    # The oldest storage format that holds views, so DuckDB shells and BI drivers of other versions open it.
    con = duckdb.connect(str(tmp), config={"storage_compatibility_version": "v1.0.0"})
    try:
        for table in TABLES:
            glob = (root / table).as_posix() + "/**/*.parquet"
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")
        create_gdelt_view(con)
    finally:
        con.close()
    checkpoint("views.tmp_written")
    os.replace(tmp, root / DB_NAME)
    return root / DB_NAME


def save_run_record(root: Path, run_id: str, name: str, content: str | dict) -> Path:
    folder = Path(root) / "_runs" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=1, default=str))
    return path
