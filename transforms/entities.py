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
from transforms.names import acronym_letters, expands, is_acronym, org_core, surname

REQUIRED = ("entity_id", "canonical_name", "label", "country_code", "text", "article_id")

_AGGREGATE = """
    WITH named AS (SELECT m.*, g.grp FROM m JOIN g USING (entity_id)),
    labels AS (SELECT {key} AS k, label, count(*) AS n FROM named GROUP BY ALL),
    countries AS (SELECT {key} AS k, country_code, count(*) AS n FROM named WHERE country_code IS NOT NULL GROUP BY ALL)
    SELECT {key} AS entity_id,
           (SELECT arg_max(label, (n, label)) FROM labels l WHERE l.k = named.{key}) AS label,
           (SELECT arg_max(country_code, (n, country_code)) FROM countries c WHERE c.k = named.{key}) AS country_code,
           list_sort(list_distinct(list(named.text))) AS aliases,
           array_to_string(list_sort(list_distinct(list(named.text))), '; ') AS aliases_flat,
           count(*)::BIGINT AS mention_count,
           count(DISTINCT named.article_id)::BIGINT AS article_count,
           min(a.published_at) AS first_seen,
           max(a.published_at) AS last_seen
    FROM named LEFT JOIN a USING (article_id)
    GROUP BY {key}
"""


def build_entities(mentions: pa.Table, articles: pa.Table) -> pa.Table:
    """`mentions` (entity_id, canonical_name, label, country_code, text, article_id) and `articles`
    (article_id, published_at) in, one row per entity_id out, ordered by id; ties are broken by name so reruns agree."""
    missing = [c for c in REQUIRED if c not in mentions.column_names]
    if missing:
        raise ValueError(f"build_entities needs the mentions columns {', '.join(REQUIRED)}; missing: {', '.join(missing)}")
    con = duckdb.connect()
    try:
        con.register("m", mentions.select(list(REQUIRED)).filter(pa.compute.is_valid(mentions.column("entity_id"))))
        con.register("a", articles)
        names = con.sql(
            "SELECT entity_id, min(canonical_name) AS canonical, arg_max(label, (n, label)) AS label, list_sort(list(DISTINCT text)) AS aliases "
            "FROM (SELECT entity_id, canonical_name, label, text, count(*) OVER (PARTITION BY entity_id, label) AS n FROM m) "
            "GROUP BY entity_id ORDER BY entity_id"
        ).fetchall()
        root = consolidate([(eid, canonical, label, aliases) for eid, canonical, label, aliases in names])
        con.register("g", pa.table({"entity_id": [n[0] for n in names], "grp": [root[n[0]] for n in names]}))
        own = con.sql(_AGGREGATE.format(key="entity_id")).to_arrow_table()
        group = con.sql(_AGGREGATE.format(key="grp")).to_arrow_table()
    finally:
        con.close()
    canonical = {n[0]: n[1] for n in names}
    rows = {r["entity_id"]: r for r in own.to_pylist()}
    rows.update({r["entity_id"]: r for r in group.to_pylist()})  # a root row counts its whole group
    out = []
    for eid in sorted(rows):
        r = rows[eid]
        r["canonical_name"] = canonical[eid]
        r["merged_into"] = root[eid] if root[eid] != eid else None
        out.append(r)
    return pa.Table.from_pylist(out, schema=ENTITIES)


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
    cores: dict[str, str] = {}
    for eid, name, _, _ in sorted(orgs, key=lambda e: e[0]):
        if not is_acronym(name):
            key = org_core(name).casefold()
            if key in cores:
                union(eid, cores[key])
            else:
                cores[key] = eid
    for eid, name, _, _ in orgs:
        if not is_acronym(name):
            continue
        if name.casefold() in cores:  # "NPD" and "NPD Group"
            union(eid, cores[name.casefold()])
            continue
        named_for = {o for o, n, _, aliases in orgs if n != name and name in aliases and not is_acronym(n)}
        if not named_for and len(acronym_letters(name)) >= 3:
            named_for = {o for o, n, _, _ in orgs if not is_acronym(n) and expands(name, n)}
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
