"""`newsflow bench RAW`: throughput of the real flow on the same input, without and with extraction.

Three measurements, each a full run into a fresh temporary folder (Prefect's start-up is paid once, before):
  foundation  the flow with extraction off: read, repair, articles, quarantine, validation, publishing;
  extraction  the whole flow as `newsflow run` runs it;
  model only  the spaCy pipeline alone over the same English fields (what any NER costs), for comparison.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from newsflow.settings import Settings


def _english_fields(out: Path) -> list[str]:
    rows = duckdb.sql(
        f"SELECT title, caption, body FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning = true) WHERE language = 'en'"
    ).fetchall()
    return [f for r in rows for f in r if f]


def bench(settings: Settings, console: Console) -> dict:
    from newsflow.nlp import Extractor, load_nlp
    from newsflow.runner import run_pipeline
    from transforms.mentions import case_for_ner

    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-") as tmp:
        warm = Path(tmp) / "warm"
        warm.mkdir()
        run_pipeline(settings.replace(raw_dir=warm, curated_dir=Path(tmp) / "warm-out", progress=False))
        load_nlp(settings.model_name)
        for name, extract in (("foundation", False), ("extraction", True)):
            out = Path(tmp) / name
            started = time.perf_counter()
            summary = run_pipeline(settings.replace(curated_dir=out, extract=extract, progress=False))
            seconds = time.perf_counter() - started
            words = duckdb.sql(f"SELECT coalesce(sum(word_count), 0) FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning = true)").fetchall()[0][0]
            figures[name] = {"seconds": seconds, "articles": summary.articles_written, "words": int(words), "mentions": summary.mentions_written}
        texts = [case_for_ner(t) for t in _english_fields(Path(tmp) / "foundation")]
        started = time.perf_counter()
        # A fresh pool, as the extraction run had: its start-up (each worker loads the model) counts in both.
        with Extractor(settings.model_name, settings.workers, settings.batch_size) as extractor:
            extractor.parse_only(texts)
        figures["model only"] = {"seconds": time.perf_counter() - started, "articles": figures["foundation"]["articles"], "words": figures["foundation"]["words"], "mentions": None}

    table = Table(title=f"newsflow bench: {settings.raw_dir}")
    for col in ("measurement", "seconds", "articles/s", "words/s", "mentions"):
        table.add_column(col, justify="right" if col != "measurement" else "left")
    for name, f in figures.items():
        f["articles_per_s"] = f["articles"] / f["seconds"] if f["seconds"] else 0.0
        f["words_per_s"] = f["words"] / f["seconds"] if f["seconds"] else 0.0
        table.add_row(name, f"{f['seconds']:.1f}", f"{f['articles_per_s']:.1f}", f"{f['words_per_s']:,.0f}", "" if f["mentions"] is None else f"{f['mentions']:,}")
    console.print(table)
    base, full, model = figures["foundation"], figures["extraction"], figures["model only"]
    drop = 1 - full["articles_per_s"] / base["articles_per_s"] if base["articles_per_s"] else 0.0
    floor = base["seconds"] + model["seconds"]  # the foundation plus the bare model: what any NER costs
    overhead = full["seconds"] / floor - 1 if floor else 0.0
    console.print(
        f"throughput: {full['articles_per_s']:.1f} articles/s with extraction, {base['articles_per_s']:.1f} for the foundation "
        f"({drop:.0%} lower). The spaCy model alone takes {model['seconds']:.1f} s with the same processes, so the foundation "
        f"plus the bare model would take {floor:.1f} s; the whole pipeline takes {full['seconds']:.1f} s, "
        f"{overhead:+.0%} against that (rules, dates, entities, validation, publishing)."
    )
    figures["overhead_over_model"] = overhead
    figures["throughput_drop"] = drop
    return figures
