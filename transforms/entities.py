"""The `entities` table: one row per entity id used by `mentions`, with the cross-article consolidation.

Mention ids are fixed when an article is extracted (a hash of the name resolved inside the article), so they never
change afterwards. Across articles, ids that name one entity are consolidated here: the row of an id that belongs
to another says so in `merged_into`, and the row of the id it was merged into (the group's root) aggregates the whole
group. The rules, same kind of entity only (person, organisation, place):
- a one-word person name (a surname, or a titled name whose title went to `role_title`) joins the one full name in
  the corpus with that surname; two or more full names with that surname ("Anna Smith", "Tom Smith") and it stays;
- organisation names with one core (legal suffix and descriptive closing words aside) are one organisation;
- an acronym joins the one organisation that some article named it for (its alias there) or, for three letters
  or more, whose initials it spells; none or several and it stays.
The root of a group is its fullest name (most words, then longest, then alphabetical): the same corpus gives the
same groups and roots whatever the order of its files.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from newsflow.schema import ENTITIES
from transforms.mentions import KIND
from transforms.names import acronym_letters, expands, initials, is_acronym, org_core, surname

REQUIRED = ("entity_id", "canonical_name", "label", "country_code", "text", "article_id")

# Aggregates of every id ({key} = entity_id) and of every group ({key} = grp, keyed by its root), from `mg` (the
# named mentions with their group) and `a` (articles' dates). Each is a GROUP BY over few columns: no window over
# all mentions, so memory follows the number of entities, not of mentions.
_AGGREGATE = """
    SELECT c.key AS entity_id, l.label, k.country_code, c.aliases, c.mention_count, c.article_count, s.first_seen, s.last_seen
    FROM (SELECT {key} AS key, list_sort(list_distinct(list(text))) AS aliases, count(*)::BIGINT AS mention_count,
                 count(DISTINCT article_id)::BIGINT AS article_count
          FROM mg GROUP BY {key}) c
    JOIN (SELECT key, arg_max(label, (n, label)) AS label
          FROM (SELECT {key} AS key, label, count(*) AS n FROM mg GROUP BY ALL) GROUP BY key) l USING (key)
    LEFT JOIN (SELECT key, arg_max(country_code, (n, country_code)) AS country_code
               FROM (SELECT {key} AS key, country_code, count(*) AS n FROM mg WHERE country_code IS NOT NULL GROUP BY ALL) GROUP BY key) k USING (key)
    LEFT JOIN (SELECT key, min(published_at) AS first_seen, max(published_at) AS last_seen
               FROM (SELECT DISTINCT {key} AS key, article_id FROM mg) JOIN a USING (article_id) GROUP BY key) s USING (key)
"""


def build_entities(mentions: pa.Table, articles: pa.Table) -> pa.Table:
    """`mentions` (entity_id, canonical_name, label, country_code, text, article_id) and `articles`
    (article_id, published_at) in, one row per entity_id out, ordered by id; ties are broken by name so reruns
    agree."""
    missing = [c for c in REQUIRED if c not in mentions.column_names]
    if missing:
        raise ValueError(f"build_entities needs the mentions columns {', '.join(REQUIRED)}; missing: {', '.join(missing)}")
    con = duckdb.connect()
    try:
        con.register("mentions", mentions)
        con.register("articles", articles)
        return entities_from(con)
    finally:
        con.close()


def entities_from(con: "duckdb.DuckDBPyConnection") -> pa.Table:
    """`build_entities` over the tables `mentions` and `articles` of a DuckDB connection (views over a run's
    Parquet files, which DuckDB streams: the mentions of a whole corpus never sit in memory as Arrow). Temporary
    tables it makes are dropped again."""
    con.execute(f"CREATE TEMP TABLE m AS SELECT {', '.join(REQUIRED)} FROM mentions WHERE entity_id IS NOT NULL")
    con.execute("CREATE TEMP TABLE a AS SELECT article_id, published_at FROM articles")
    try:
        names = con.sql(
            "SELECT n.entity_id, n.canonical, l.label, n.aliases "
            "FROM (SELECT entity_id, min(canonical_name) AS canonical, list_sort(list(DISTINCT text)) AS aliases FROM m GROUP BY entity_id) n "
            "JOIN (SELECT entity_id, arg_max(label, (n, label)) AS label FROM (SELECT entity_id, label, count(*) AS n FROM m GROUP BY ALL) GROUP BY entity_id) l "
            "USING (entity_id) ORDER BY entity_id"
        ).fetchall()
        root = consolidate([(eid, canonical, label, aliases) for eid, canonical, label, aliases in names])
        groups = pa.table({"entity_id": [n[0] for n in names], "grp": [root[n[0]] for n in names], "canonical": [n[1] for n in names]})
        del names, root
        con.execute("CREATE TEMP TABLE g AS SELECT * FROM groups")
        con.execute("CREATE TEMP TABLE mg AS SELECT m.entity_id, g.grp, m.label, m.country_code, m.text, m.article_id FROM m JOIN g USING (entity_id)")
        con.execute("DROP TABLE m")
        # Every id gets its own aggregates; a group's root (an id that is some group's `grp`) those of its group.
        result = con.sql(
            f"""
            WITH own AS ({_AGGREGATE.format(key="entity_id")}), grp AS ({_AGGREGATE.format(key="grp")})
            SELECT o.entity_id, g.canonical AS canonical_name, coalesce(r.label, o.label) AS label,
                   CASE WHEN r.entity_id IS NULL THEN o.country_code ELSE r.country_code END AS country_code,
                   coalesce(r.aliases, o.aliases) AS aliases,
                   array_to_string(coalesce(r.aliases, o.aliases), '; ') AS aliases_flat,
                   coalesce(r.mention_count, o.mention_count) AS mention_count,
                   coalesce(r.article_count, o.article_count) AS article_count,
                   CASE WHEN r.entity_id IS NULL THEN o.first_seen ELSE r.first_seen END AS first_seen,
                   CASE WHEN r.entity_id IS NULL THEN o.last_seen ELSE r.last_seen END AS last_seen,
                   CASE WHEN g.grp <> o.entity_id THEN g.grp END AS merged_into
            FROM own o JOIN g USING (entity_id) LEFT JOIN grp r ON r.entity_id = o.entity_id
            ORDER BY o.entity_id
            """
        ).to_arrow_table()
    finally:
        for t in ("m", "a", "g", "mg"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return result.select(ENTITIES.names).cast(ENTITIES)


# The columns that point at an entity, by table: every id in them must have its row in `entities`.
ENTITY_REFERENCES = {"mentions": ["entity_id"], "quotes": ["speaker_entity_id"], "events": ["actor1_entity_id", "actor2_entity_id", "location_entity_id"]}


def referenced_entity_ids(con: "duckdb.DuckDBPyConnection") -> list[str]:
    """The distinct ids that rows of the connection's `mentions`, `quotes` and `events` point at, sorted; counted
    by DuckDB, so the rows never come into memory."""
    parts = [f'SELECT "{c}" AS id FROM {t} WHERE "{c}" IS NOT NULL' for t, cols in ENTITY_REFERENCES.items() for c in cols]
    return [r[0] for r in con.sql(f"SELECT DISTINCT id FROM ({' UNION ALL '.join(parts)}) ORDER BY id").fetchall()]


# Made-up names (no corpus text) that reach every lookup `consolidate` makes: a surname, a legal suffix and a closing
# word, an acronym and its expansion, a country before a closing word (the gazetteer).
_WARM_UP = [("w1", "Anna Berg", "PERSON", ["Anna Berg"]), ("w2", "Berg", "PERSON", ["Berg"]),
            ("w3", "Zelvoran Holdings PLC", "ORG", ["Zelvoran Holdings PLC", "ZH"]), ("w4", "ZH", "ORG", ["ZH"]),
            ("w5", "Norway Airlines", "ORG", ["Norway Airlines"])]


def warm_consolidation() -> None:
    """Build what the first `consolidate` in a process loads (the gazetteer's countries, regions and states, the name
    lexicons, cleanco's terms), in the start-up of a run whose process would otherwise pay it at the end. Cities
    are never needed here: they stay unbuilt (0.3 s) in a process that does not parse."""
    consolidate(_WARM_UP)


def consolidate(entities: list[tuple[str, str, str, list[str]]]) -> dict[str, str]:
    """(entity_id, canonical name, label, aliases) of every id -> the id of its group's root (itself when alone)."""
    parent = {e[0]: e[0] for e in entities}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        parent[find(x)] = find(y)

    by_kind: dict[str, list[tuple[str, str, str, list[str]]]] = {}
    for e in entities:
        by_kind.setdefault(KIND.get(e[2], "misc"), []).append(e)
    people = by_kind.get("person", [])
    full: dict[str, set[str]] = {}
    for eid, name, _, _ in people:
        if len(name.split()) >= 2:
            full.setdefault(surname(name).casefold(), set()).add(eid)
    for eid, name, _, _ in people:
        candidates = full.get(name.casefold(), set()) if len(name.split()) == 1 else set()
        if len(candidates) == 1:
            union(eid, next(iter(candidates)))
    orgs = by_kind.get("org", [])
    canonical = {e[0]: e[1] for e in orgs}
    cores: dict[str, str] = {}
    for eid, name, _, _ in sorted(orgs, key=lambda e: e[0]):
        if not is_acronym(name):
            key = org_core(name).casefold()
            if key in cores:
                union(eid, cores[key])
            else:
                cores[key] = eid
    # Indexes, so that each acronym is looked up once: its alias of a named organisation, its expansion's initials.
    alias_of: dict[str, set[str]] = {}
    by_initials: dict[str, set[str]] = {}
    for o, n, _, aliases in orgs:
        if not is_acronym(n):
            for alias in aliases:
                if is_acronym(alias):
                    alias_of.setdefault(alias, set()).add(o)
            by_initials.setdefault(initials(n), set()).add(o)
    for eid, name, _, _ in orgs:
        if not is_acronym(name):
            continue
        if name.casefold() in cores:  # "NPD" and "NPD Group"
            union(eid, cores[name.casefold()])
            continue
        named_for = alias_of.get(name, set())
        if not named_for and len(acronym_letters(name)) >= 3:
            named_for = {o for o in by_initials.get(acronym_letters(name), set()) if expands(name, canonical[o])}
        groups = {find(o) for o in named_for}
        if len(groups) == 1:
            union(eid, groups.pop())
    members: dict[str, list[tuple[str, str]]] = {}
    for eid, name, _, _ in entities:
        members.setdefault(find(eid), []).append((eid, name))
    root: dict[str, str] = {}
    for group in members.values():
        best = min(group, key=lambda m: (-len(m[1].split()), -len(m[1]), m[1].casefold(), m[0]))[0]
        for eid, _ in group:
            root[eid] = best
    return root
