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
