"""The articles table builder: ids, duplicates, language."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from newsflow.schema import ARTICLES
from transforms.articles import ArticleIndex, build_articles, with_partition
from transforms.records import RawArticle

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


def rec(path, title, body, record=0, **kw):
    return RawArticle(source_path=path, source_record=record, source_format="txt", title=title, body=body, **kw)


def recipe_sha(text: str) -> str:
    """The documented recipe, written out here rather than taken from the code under test."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_ids_are_content_hashes_and_stable():
    title, body = "Port reopens", "The port reopened on Monday after a strike."
    t1 = build_articles([rec("a.txt", title, body)], ArticleIndex(), "run1", AT).table
    t2 = build_articles([rec("elsewhere/b.txt", title, body)], ArticleIndex(), "run2", AT).table
    assert t1.schema == ARTICLES
    row = t1.to_pylist()[0]
    # content_sha256 = sha256("title\n\nbody"); article_id = its first 20 hex digits; body_sha256 = sha256(body)
    assert row["content_sha256"] == recipe_sha("Port reopens\n\nThe port reopened on Monday after a strike.")
    assert row["article_id"] == row["content_sha256"][:20]
    assert row["body_sha256"] == recipe_sha("The port reopened on Monday after a strike.")
    assert t2.column("article_id").to_pylist() == [row["article_id"]]  # path and run do not enter the id
    assert row["word_count"] == 8  # The port reopened on Monday after a strike: counted by hand
    assert (row["run_id"], row["ingested_at"]) == ("run1", AT)


def test_title_and_body_both_enter_the_id():
    a = build_articles([rec("a.txt", "Port reopens", "Ships sail.")], ArticleIndex(), "r", AT).table
    b = build_articles([rec("a.txt", "Port reopens.", "Ships sail.")], ArticleIndex(), "r", AT).table
    c = build_articles([rec("a.txt", "", "Ships sail.")], ArticleIndex(), "r", AT).table
    ids = [t.column("article_id")[0].as_py() for t in (a, b)]
    assert ids[0] != ids[1]
    # an empty title still contributes the blank-line separator
    assert c.column("content_sha256")[0].as_py() == recipe_sha("\n\nShips sail.")


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


def test_an_index_rebuilt_from_published_hashes_settles_duplicates_as_the_one_that_published_them():
    body = "The central bank raised its main rate by a quarter point on Thursday."
    index = ArticleIndex()
    first = build_articles([rec("a.txt", "Bank raises rates", body), rec("b.txt", "Other", "Another body.")], index, "r", AT).table
    published = list(zip(first.column("content_sha256").to_pylist(), first.column("body_sha256").to_pylist()))
    rebuilt = ArticleIndex.of(published)
    assert len(rebuilt) == len(index) == 2
    later = build_articles([rec("c.txt", "Bank raises rates", body), rec("d.txt", "Rates up again", body)], rebuilt, "r2", AT)
    assert [d[0].source_path for d in later.duplicates] == ["c.txt"]  # same title and body: an exact duplicate
    assert later.table.column("duplicate_of").to_pylist() == [first.column("article_id")[0].as_py()]
    assert recipe_sha(f"Rates up again\n\n{body}") in rebuilt and recipe_sha("never seen") not in rebuilt


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


def test_the_index_keeps_digests_that_end_in_zero_bytes_whole_and_merges_its_buffer_without_loss(monkeypatch):
    """Digests are kept as fixed-width bytes, which NumPy reads back without their trailing zero bytes: a hash
    ending in zeros must still be found, and must still give its own article id. Entries merged in mid-shard
    (`FLUSH_AT`) are found as they were before the merge."""
    monkeypatch.setattr(ArticleIndex, "FLUSH_AT", 3)
    # contents and bodies ending in zero bytes, and so do their first ten bytes (the article id)
    zeros = [f"{n:02x}" + "ab" * 7 + "00" * 2 + "cd" * 12 + "00" * 10 for n in range(8)]
    assert all(len(c) == 64 and c[:20].endswith("0000") for c in zeros)
    index = ArticleIndex()
    firsts = [index.add(c, c) for c in zeros]
    assert firsts == [c[:20] for c in zeros]  # each body new: the article is its own first
    index.flush()
    assert len(index) == 8 and all(c in index for c in zeros)
    assert ("ff" * 22 + "00" * 10) not in index and zeros[0][:-2] + "01" not in index
    # a second article with the body of each: points to the first, whether that one sits merged or buffered
    assert [index.add(c[:2] + "ee" + c[4:], c) for c in zeros] == firsts
    index.add(zeros[0], zeros[0])  # adding a known content again changes nothing
    index.flush()
    assert len(index) == 16
    rebuilt = ArticleIndex.of([(c, c) for c in zeros] + [(c[:2] + "ee" + c[4:], c) for c in zeros])
    assert len(rebuilt) == 16 and [rebuilt.add(c[:2] + "dd" + c[4:], c) for c in zeros] == firsts
