"""The articles table builder: ids, duplicates, language."""

from __future__ import annotations

from datetime import datetime, timezone

from newsflow.schema import ARTICLES
from transforms.articles import ArticleIndex, build_articles, content_sha256, with_partition
from transforms.records import RawArticle

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


def rec(path, title, body, record=0, **kw):
    return RawArticle(source_path=path, source_record=record, source_format="txt", title=title, body=body, **kw)


def test_ids_are_content_hashes_and_stable():
    r = rec("a.txt", "Port reopens", "The port reopened on Monday after a strike.")
    t1 = build_articles([r], ArticleIndex(), "run1", AT).table
    t2 = build_articles([rec("elsewhere/b.txt", r.title, r.body)], ArticleIndex(), "run2", AT).table
    assert t1.schema == ARTICLES
    assert t1.column("article_id")[0].as_py() == t2.column("article_id")[0].as_py() == content_sha256(r.title, r.body)[:20]
    assert t1.column("word_count")[0].as_py() == 8


def test_exact_duplicates_merge_onto_first_in_path_order_and_across_shards():
    index = ArticleIndex()
    body = "Farmers marched to the capital on Tuesday to protest new water rules."
    first = build_articles([rec("b.txt", "March", body), rec("a.txt", "March", body)], index, "r", AT)
    assert first.table.num_rows == 1 and first.table.column("source_path")[0].as_py() == "a.txt"
    assert [d[0].source_path for d in first.duplicates] == ["b.txt"]
    later = build_articles([rec("c.txt", "March", body)], index, "r", AT)
    assert later.table.num_rows == 0 and len(later.duplicates) == 1


def test_same_body_new_title_is_kept_and_points_to_its_twin():
    index = ArticleIndex()
    body = "The central bank raised its main rate by a quarter point on Thursday."
    a = build_articles([rec("a.txt", "Bank raises rates", body)], index, "r", AT).table
    b = build_articles([rec("b.txt", "Rates up again", body)], index, "r", AT).table
    assert b.column("duplicate_of")[0].as_py() == a.column("article_id")[0].as_py()
    assert a.column("duplicate_of")[0].as_py() is None


def test_language_from_record_or_detected_and_flat_authors():
    rows = build_articles(
        [
            rec("en.txt", "Storm hits coast", "A storm hit the coast on Sunday and the power was out for hours in the towns.", authors=("A B", "C D")),
            rec("de.txt", "Sturm", "Ein schwerer Sturm traf am Sonntag die Küste, viele Häuser waren ohne Strom.", record=0),
            rec("x.txt", "Given", "Texte quelconque fourni.", language="fr"),
        ],
        ArticleIndex(),
        "r",
        AT,
    ).table.to_pylist()
    by_path = {r["source_path"]: r for r in rows}
    assert by_path["en.txt"]["language"] == "en" and by_path["de.txt"]["language"] == "de" and by_path["x.txt"]["language"] == "fr"
    assert by_path["en.txt"]["authors"] == ["A B", "C D"] and by_path["en.txt"]["authors_flat"] == "A B; C D"


def test_partition_by_published_month():
    t = build_articles(
        [rec("a.txt", "A", "Alpha text here.", published_at=datetime(2021, 12, 29, tzinfo=timezone.utc)), rec("b.txt", "B", "Beta text here.")],
        ArticleIndex(),
        "r",
        AT,
    ).table
    assert with_partition(t).column("published_month").to_pylist() == ["2021-12", "unknown"]
