"""`newsflow bench RAW`: the whole pipeline beside the bare model, in one command and on the same texts.

  start-up     a run over one small file in a fresh process (`newsflow run`), without a Prefect server configured
               and, when PREFECT_API_URL is set (or --start-server), against a running one: the fixed cost, the
               median of five runs each (one run's wall time wanders by a second or more here);
  pipeline     the whole flow over RAW (or its first --limit articles) in this process, start-up included, against
               the running server when there is one (as a scheduled run finds it), else with Prefect's temporary
               server, with the wall seconds of each stage and the peak memory of the process tree (workers and
               server included), resident and anonymous;
  bare model   `nlp.pipe` alone over exactly the texts the pipeline parsed, with the same model and the same number
               of processes, their start-up (spawning, loading the model) included: once before the pipeline and once
               after it, and the ratio is taken against their mean. This machine's speed drifts by 15-20% from one
               minute to the next, and a single bare run after the pipeline put the same code's ratio anywhere from
               0.69 to 0.98; two runs around it measure the model at the speed the pipeline ran at, and their
               difference, printed, says how far the figure can be trusted.

`newsflow bench RAW --memory-at N [--memory-at M ...]` measures memory against corpus size instead: for each size
(the first N articles, or `all`) one `newsflow run` in a fresh process, as a user runs it, and the peak memory of
its process tree (the run's process, its NLP workers and its temporary Prefect server), with each one's share at
the peak. A long run's memory should stay level: these figures show whether it does.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from newsflow.runner import walk_raw
from newsflow.reports import STAGES
from newsflow.settings import Settings
from newsflow.startup import free_port
from transforms.readers import format_of, parse_file

_REUTERS = re.compile(rb"<REUTERS\b.*?</REUTERS>", re.S | re.I)


def limited_copy(raw: Path, exclude: tuple[str, ...], limit: int, dest: Path) -> int:
    """Copy the files of RAW, in the order a run reads them, into `dest` until they hold `limit` articles; the last
    file is cut after the record that completes the count when its format has records (.sgm elements, .jsonl
    lines), else copied whole. Returns the articles copied."""
    count = 0
    now = datetime.now(timezone.utc)
    for rel, _size in walk_raw(raw, exclude)[0]:
        fmt, gz = format_of(rel.rsplit("/", 1)[-1])
        if fmt is None:
            continue
        data = (raw / rel).read_bytes()
        records = sorted(a.source_record for a in parse_file(rel, data, now=now).articles)
        if not records:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        needed = limit - count
        if len(records) > needed and not gz and fmt in ("sgm", "jsonl"):
            keep = records[needed - 1] + 1  # records before it, articles or not, as the reader numbers them
            parts = [m.group(0) for m in _REUTERS.finditer(data)] if fmt == "sgm" else data.splitlines(keepends=True)
            target.write_bytes(b"\n".join(parts[:keep]) if fmt == "sgm" else b"".join(parts[:keep]))
            return limit
        target.write_bytes(data)
        count += len(records)
        if count >= limit:
            return count
    return count


class _Sampler:
    """Calls `sample()` on entry and then every `interval` seconds on a thread, until the block ends."""

    interval: float
    _stop: threading.Event

    def sample(self):
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self):
        self.sample()
        threading.Thread(target=self._loop, name=f"newsflow-bench-{type(self).__name__}", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()


class PeakMemory(_Sampler):
    """Peak memory of this process and all its descendants (NLP workers, Prefect's server), sampled: resident
    (`peak`), and anonymous (`peak_anon`: resident minus file-backed and shared pages, where the system reports
    them). The kernel may drop a process's cold file-backed pages (libraries, model files) at any time, and some
    machines do it on a schedule (DAMON's page-out), so resident size moves between runs of the same work; what the
    processes allocated moves much less."""

    def __init__(self, interval: float = 0.2):
        import psutil

        self._root, self.interval, self.peak, self.peak_anon = psutil.Process(), interval, 0, 0
        self._stop = threading.Event()

    def sample(self) -> int:
        """Resident bytes of the tree now (and the anonymous peak updated)."""
        import psutil

        total = anon = 0
        for proc in [self._root, *self._root.children(recursive=True)]:
            try:
                info = proc.memory_info()
            except psutil.Error:  # a worker that exited between listing and reading
                continue
            total += info.rss
            anon += info.rss - getattr(info, "shared", 0)
        self.peak = max(self.peak, total)
        self.peak_anon = max(self.peak_anon, anon)
        return total



def process_role(cmdline: list[str]) -> str:
    """What a process of a `newsflow run` tree is, from its command line: "server" (Prefect's, a uvicorn app),
    "worker" (an NLP worker, spawned by multiprocessing) or "other" (multiprocessing's resource tracker)."""
    cmd = " ".join(cmdline)
    if "resource_tracker" in cmd:
        return "other"
    if "uvicorn" in cmd or ("prefect" in cmd and "server" in cmd):
        return "server"
    if "multiprocessing" in cmd:
        return "worker"
    return "other"


class TreeMemory(_Sampler):
    """Peak anonymous memory (`RssAnon`: resident minus file-backed and shared pages) of one process and its
    descendants, sampled, with what each process held at that peak: the root ("run"), each worker, the server.
    Also the peak resident size of the tree."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval = pid, interval
        self.peak_anon, self.peak_rss, self.at_peak = 0, 0, {"run": 0, "workers": [], "server": 0, "other": 0}
        self._roles: dict[int, str] = {}
        self._stop = threading.Event()

    def sample(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:  # the run has ended
            return
        now = {"run": 0, "workers": [], "server": 0, "other": 0}
        rss = 0
        for proc in procs:
            try:
                info = proc.memory_info()
                if proc.pid not in self._roles:
                    self._roles[proc.pid] = "run" if proc.pid == self.pid else process_role(proc.cmdline())
            except psutil.Error:
                continue
            anon, role = info.rss - getattr(info, "shared", 0), self._roles[proc.pid]
            rss += info.rss
            if role == "worker":
                now["workers"].append(anon)
            else:
                now[role] += anon
        total = now["run"] + sum(now["workers"]) + now["server"] + now["other"]
        self.peak_rss = max(self.peak_rss, rss)
        if total > self.peak_anon:
            self.peak_anon, self.at_peak = total, {**now, "workers": sorted(now["workers"])}



def measured_run(raw: Path, out: Path, settings: Settings, api_url: str | None) -> dict:
    """One `newsflow run` over `raw` in a fresh process (the settings' exclude patterns and workers), its wall
    seconds, articles written and the peak memory of its process tree (`TreeMemory`)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    command = [sys.executable, "-m", "newsflow.cli", "run", str(raw), "--curated", str(out), "--no-progress", "--workers", str(settings.workers)]
    for pattern in settings.exclude:
        command += ["--exclude", pattern]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with TreeMemory(process.pid) as memory:
        _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"`newsflow run` over {raw} failed ({process.returncode}): {stderr[-2000:]}")
    articles = duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning = true)").fetchall()[0][0]
    mb = lambda b: round(b / 2**20, 1)  # noqa: E731
    peak = memory.at_peak
    return {"articles": articles, "seconds": seconds, "peak_anon_mb": mb(memory.peak_anon), "peak_rss_mb": mb(memory.peak_rss),
            "run_mb": mb(peak["run"]), "workers_mb": [mb(w) for w in peak["workers"]], "server_mb": mb(peak["server"]), "other_mb": mb(peak["other"])}


def memory_by_size(settings: Settings, console: Console, sizes: list[int | None], start_server: bool = False) -> dict:
    """`measured_run` over the first N articles of RAW for each N of `sizes` (None: all of RAW), in that order."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-") as tmp_name, prefect_server(start_server) as api_url:
        tmp = Path(tmp_name)
        for n in sizes:
            raw = settings.raw_dir
            if n:
                raw = tmp / f"raw-{n}"
                limited_copy(settings.raw_dir, settings.exclude, n, raw)
            console.print(f"measuring a run over {'all of RAW' if n is None else f'the first {n:,} articles'} ...")
            rows.append({"size": "all" if n is None else n, **measured_run(raw, tmp / "out", settings, api_url)})
            shutil.rmtree(tmp / "out", ignore_errors=True)
            if n:
                shutil.rmtree(raw, ignore_errors=True)
    figures = {"memory_by_size": rows, "prefect": "a running server (not counted)" if api_url else "each run's temporary server"}
    table = Table(title=f"newsflow bench: peak memory against corpus size, {settings.raw_dir}")
    for col in ("articles", "seconds", "peak anonymous MB", "run / workers / server", "peak resident MB"):
        table.add_column(col, justify="right")
    for r in rows:
        workers = "/".join(f"{w:.0f}" for w in r["workers_mb"]) or "-"
        size = "all" if r["size"] == "all" else f"first {r['size']:,}"
        table.add_row(f"{r['articles']:,} ({size})", f"{r['seconds']:.0f}", f"{r['peak_anon_mb']:,.0f}",
                      f"{r['run_mb']:.0f} / {workers} / {r['server_mb']:.0f}", f"{r['peak_rss_mb']:,.0f}")
    console.print(table)
    console.print(f"each size is one `newsflow run` in a fresh process; Prefect: {figures['prefect']}")
    return figures


def one_file_run(one: Path, out: Path, api_url: str | None) -> float:
    """Wall seconds of `newsflow run` over `one` in a fresh process (against `api_url`, or with no server set)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "newsflow.cli", "run", str(one), "--curated", str(out), "--no-progress"],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the one-file run failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def running_server() -> tuple[subprocess.Popen, str]:
    """`prefect server start` on a free loopback port, once it answers."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("`prefect server start` did not answer within 180 s")


# One run's wall time wanders between 4.3 and 6.5 s here against a running server (the same code, minutes apart):
# the median of five is steadier than the median of three, for about 30 s more.
STARTUP_RUNS = 5


def _median_runs(one: Path, out: Path, api_url: str | None) -> list[float]:
    return [one_file_run(one, out.with_name(f"{out.name}-{k}"), api_url) for k in range(STARTUP_RUNS)]


def startup_figures(tmp: Path, raw: Path, api_url: str | None) -> dict:
    """The fixed cost: a run over one small file (the first article of RAW, as a .txt file), the median of
    `STARTUP_RUNS` runs each way (with no server configured; against `api_url` when given), every run's seconds
    kept beside it."""
    one = tmp / "one"
    one.mkdir()
    article = _first_article(raw)
    (one / "article.txt").write_text(f"{article.title}\n\n{article.body}\n")
    runs = _median_runs(one, tmp / "one-out-a", None)
    figures = {"no_server_seconds": statistics.median(runs), "no_server_runs": runs}
    if api_url:
        one_file_run(one, tmp / "one-out-b", api_url)  # the server's first flow run registers the flow
        runs = _median_runs(one, tmp / "one-out-c", api_url)
        figures["running_server_seconds"], figures["running_server_runs"] = statistics.median(runs), runs
    return figures


@contextlib.contextmanager
def prefect_server(start_server: bool):
    """The API the bench runs against: PREFECT_API_URL when set, else a `prefect server start` of its own when
    `start_server` (stopped at the end), else None (each run starts Prefect's temporary server)."""
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url or not start_server:
        yield api_url
        return
    server, api_url = running_server()
    try:
        yield api_url
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def _against(api_url: str | None):
    if not api_url:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield


def _first_article(raw: Path):
    now = datetime.now(timezone.utc)
    for rel, _size in walk_raw(raw, ())[0]:
        if format_of(rel.rsplit("/", 1)[-1])[0] is not None:
            articles = parse_file(rel, (raw / rel).read_bytes(), now=now).articles
            if articles:
                return articles[0]
    raise ValueError(f"no article under {raw}")


def english_articles_of(raw: Path, settings: Settings):
    """The English articles a run over RAW publishes, in article id order, from the readers and `build_articles`
    alone (no flow, no validation): what the bare model parses before the pipeline has run."""
    from transforms.articles import ArticleIndex, build_articles
    from transforms.mentions import ArticleText

    now = datetime.now(timezone.utc)
    records = []
    for rel, size in walk_raw(raw, settings.exclude)[0]:
        if format_of(rel.rsplit("/", 1)[-1])[0] is not None and size <= settings.max_file_mb * 2**20:
            try:
                records += parse_file(rel, (raw / rel).read_bytes(), now=now, day_first=settings.day_first).articles
            except Exception:  # the pipeline quarantines the file; it has no text to parse either
                continue
    table = build_articles(records, ArticleIndex(), "bench", now, settings.default_language).table
    rows = table.select(["article_id", "title", "caption", "body", "published_at", "language"]).to_pylist()
    return sorted((ArticleText(r["article_id"], r["title"], r["caption"], r["body"], r["published_at"]) for r in rows if r["language"] == "en"),
                  key=lambda a: a.article_id)


def _bare_model(settings: Settings, texts: list[str]) -> dict:
    """Bare `nlp.pipe` over `texts` with the run's model and process count. A fresh pool, as the pipeline had:
    spawning the processes and loading the model count in both. The stock model: the pipeline's faster attribute
    ruler and lemmatizer (newsflow.attributes) are its own."""
    from newsflow.nlp import Extractor

    with Extractor(settings.model_name, settings.workers, settings.batch_size, stock=True) as extractor:
        started = time.perf_counter()
        extractor.parse_only(texts)
        seconds = time.perf_counter() - started
        processes = extractor._processes if extractor._pool is not None else 1
    return {"seconds": seconds, "texts": len(texts), "processes": processes}


def _english_articles(out: Path):
    from transforms.mentions import ArticleText

    rows = duckdb.sql(
        f"SELECT article_id, title, caption, body, published_at FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning = true) "
        "WHERE language = 'en' ORDER BY article_id"
    ).fetchall()
    return [ArticleText(*r) for r in rows]


def bench(settings: Settings, console: Console, limit: int | None = None, start_server: bool = False, startup: bool = True) -> dict:
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-") as tmp_name, prefect_server(start_server) as api_url:
        tmp = Path(tmp_name)
        raw = settings.raw_dir
        if limit:
            raw = tmp / "raw"
            figures["limit"] = limited_copy(settings.raw_dir, settings.exclude, limit, raw)
        if startup:
            figures["startup"] = startup_figures(tmp, raw, api_url)

        from transforms.extraction import field_texts

        articles = english_articles_of(raw, settings)
        texts = [text for text, _ in field_texts(articles)]
        bare_before = _bare_model(settings, texts)

        from newsflow.runner import run_pipeline

        out = tmp / "out"
        with PeakMemory() as memory:
            started = time.perf_counter()
            with _against(api_url):
                summary = run_pipeline(settings.replace(raw_dir=raw, curated_dir=out, progress=False))
            seconds = time.perf_counter() - started
        stages = dict(summary.stage_seconds)
        stages["start-up"] = seconds - summary.seconds
        words = duckdb.sql(f"SELECT coalesce(sum(word_count), 0) FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning = true)").fetchall()[0][0]
        figures["pipeline"] = {"seconds": seconds, "articles": summary.articles_written, "words": int(words), "mentions": summary.mentions_written,
                               "peak_rss_mb": memory.peak / 2**20, "peak_anon_mb": memory.peak_anon / 2**20, "stages": stages, "workers": dict(summary.worker_seconds),
                               "prefect": "a running server" if api_url else "a temporary server"}

        bare_after = _bare_model(settings, texts)
        figures["bare_model_runs"] = [bare_before, bare_after]
        for run in figures["bare_model_runs"]:  # the same articles and words as the pipeline's, as rates
            run.update(articles=summary.articles_written, words=int(words))
        figures["bare_model"] = {"seconds": (bare_before["seconds"] + bare_after["seconds"]) / 2, "articles": summary.articles_written, "words": int(words),
                                 "texts": len(texts), "processes": bare_after["processes"]}
        published = [a.article_id for a in _english_articles(out)]
        if published != [a.article_id for a in articles]:  # a record quarantined by validation, say
            figures["bare_model"]["note"] = f"the pipeline published {len(published):,} English articles; the bare model parsed {len(articles):,}"
        shutil.rmtree(out, ignore_errors=True)

    for f in (figures["pipeline"], figures["bare_model"], *figures["bare_model_runs"]):
        f["articles_per_s"] = f["articles"] / f["seconds"] if f["seconds"] else 0.0
        f["words_per_s"] = f["words"] / f["seconds"] if f["seconds"] else 0.0
    pipe, bare = figures["pipeline"], figures["bare_model"]
    figures["ratio"] = pipe["articles_per_s"] / bare["articles_per_s"] if bare["articles_per_s"] else 0.0
    _print(figures, settings, console)
    return figures


def _print(figures: dict, settings: Settings, console: Console) -> None:
    pipe, bare = figures["pipeline"], figures["bare_model"]
    what = f"{settings.raw_dir}" + (f", first {figures['limit']:,} articles" if "limit" in figures else "")
    table = Table(title=f"newsflow bench: {what}")
    for col in ("measurement", "seconds", "articles/s", "words/s"):
        table.add_column(col, justify="right" if col != "measurement" else "left")
    table.add_row(f"whole pipeline (start-up included; {pipe['prefect']})", f"{pipe['seconds']:.1f}", f"{pipe['articles_per_s']:.1f}", f"{pipe['words_per_s']:,.0f}")
    for when, run in zip(("before", "after"), figures["bare_model_runs"]):
        table.add_row(f"bare nlp.pipe, {run['processes']} process(es), {when} the pipeline", f"{run['seconds']:.1f}", f"{run['articles_per_s']:.1f}", f"{run['words_per_s']:,.0f}")
    table.add_row("bare nlp.pipe, mean of the two", f"{bare['seconds']:.1f}", f"{bare['articles_per_s']:.1f}", f"{bare['words_per_s']:,.0f}")
    console.print(table)
    console.print(f"ratio pipeline / bare model: {figures['ratio']:.2f} ({pipe['articles']:,} articles, {pipe['words']:,} words, {pipe['mentions']:,} mentions)")
    before, after = (r["seconds"] for r in figures["bare_model_runs"])
    console.print(f"the two bare runs differ by {abs(before - after) / min(before, after):.0%}: this machine's speed drifted that much while the bench ran")
    if "note" in bare:
        console.print(f"[yellow]note:[/yellow] {bare['note']}")
    stages = Table(title="pipeline stages (wall seconds)")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for name in ("start-up", *STAGES):
        stages.add_row(name, f"{pipe['stages'].get(name, 0.0):.1f}")
    console.print(stages)
    console.print(
        f"inside extraction, summed over the worker processes: the model {pipe['workers'].get('model', 0.0):.1f} s, "
        f"newsflow's rules {pipe['workers'].get('rules', 0.0):.1f} s"
    )
    console.print(f"peak memory of the process tree (workers, Prefect server): {pipe['peak_rss_mb']:,.0f} MB resident, "
                  f"{pipe['peak_anon_mb']:,.0f} MB anonymous")
    if "startup" in figures:
        s = figures["startup"]
        runs = lambda k: ", ".join(f"{x:.1f}" for x in s[k])  # noqa: E731
        line = f"start-up, a run over one small file (median of {len(s['no_server_runs'])}): {s['no_server_seconds']:.1f} s with no Prefect server configured ({runs('no_server_runs')})"
        line += f", {s['running_server_seconds']:.1f} s against a running server ({runs('running_server_runs')})" if "running_server_seconds" in s else " (set PREFECT_API_URL or pass --start-server to measure against a running server)"
        console.print(line)
