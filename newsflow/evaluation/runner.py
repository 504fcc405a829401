"""`newsflow eval TASK`: run the real pipeline over annotated news, then score its tables against the gold.

Each task: (1) take the corpus text only (title, body, published_at) and write it as JSON Lines to a temporary raw
folder outside the repository; (2) run `newsflow.runner.run_pipeline` (the Prefect flow `newsflow run` uses) into a
temporary curated folder; (3) read the published tables with DuckDB; (4) only then load the corpus again, gold
included, and score. Nothing is written into the repository; `--json PATH` is the only file written.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable

from rich.console import Console
from rich.table import Table

from newsflow.evaluation import corpora as C
from newsflow.evaluation import scoring as S
from newsflow.settings import Settings

TASKS = ("ner", "dates", "quotes", "events", "entities", "articles")
EXTRACTION_TABLES = ("mentions", "quotes", "events")
JSONL_NAME = "eval.jsonl"

NER_MAP = {
    "PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC",
    "NORP": "MISC", "EVENT": "MISC", "PRODUCT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC", "LANGUAGE": "MISC",
}


# --- results -------------------------------------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    score: S.Score | None = None
    value: float | None = None
    n: int | None = None  # support: gold items for a score, items judged for an accuracy


@dataclass
class TaskResult:
    task: str
    sections: list[tuple[str, list[Row]]] = field(default_factory=list)
    headline: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    docs: int = 0
    articles: int = 0
    seconds: float = 0.0

    def figures(self) -> dict:
        out: dict = {"docs": self.docs, "articles": self.articles, "seconds": round(self.seconds, 2)}
        for section, rows in self.sections:
            for row in rows:
                key = f"{section}.{slug(row.metric)}" if section else slug(row.metric)
                if row.score is not None:
                    out[f"{key}.precision"] = round(row.score.precision, 4)
                    out[f"{key}.recall"] = round(row.score.recall, 4)
                    out[f"{key}.f1"] = round(row.score.f1, 4)
                    out[f"{key}.support"] = row.score.gold
                    out[f"{key}.predicted"] = row.score.predicted
                if row.value is not None:
                    out[f"{key}.accuracy"] = round(row.value, 4)
                    out[f"{key}.n"] = row.n
        for name, value in self.headline:
            out[f"headline.{slug(name)}"] = round(value, 4)
        return out


def prf_row(metric: str, score: S.Score) -> Row:
    return Row(metric, score=score, n=score.gold)


def acc_row(metric: str, hits: int, total: int) -> Row:
    return Row(metric, value=S.ratio(hits, total), n=total)


# --- running the pipeline ------------------------------------------------------------------------------------------


@dataclass
class Doc:
    """What the pipeline is allowed to see of a gold document."""

    doc_id: str
    title: str
    body: str
    published_at: datetime | None


@dataclass
class Run:
    summary: object
    docs: list[Doc]
    article_of: dict[str, dict]  # doc_id -> article row
    tables: dict[str, list[dict] | None]  # None: table not produced by this pipeline version
    articles: int
    seconds: float


def texts_only(docs: Iterable[C.GoldDoc]) -> list[Doc]:
    return [Doc(d.doc_id, d.title, d.body, d.published_at) for d in docs]


def _read_table(con, out: Path, table: str) -> list[dict] | None:
    folder = out / table
    if not folder.exists() or not any(folder.rglob("*.parquet")):
        return None
    glob = (folder.as_posix() + "/**/*.parquet").replace("'", "''")
    result = con.execute(f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true, union_by_name = true)")
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def run_pipeline_on(raw: Path, settings: Settings, console: Console, tables: tuple[str, ...]) -> tuple[object, dict[str, list[dict] | None], Path]:
    """Run the real flow over `raw` into a sibling temporary curated folder; return (summary, tables, out)."""
    import duckdb

    from newsflow.runner import run_pipeline

    out = raw.parent / "curated"
    summary = run_pipeline(settings.replace(raw_dir=raw, curated_dir=out, progress=False), console=Console(stderr=True, quiet=True))
    con = duckdb.connect()
    try:
        read = {name: _read_table(con, out, name) for name in ("articles", *tables)}
    finally:
        con.close()
    return summary, read, out


def run_docs(docs: list[Doc], settings: Settings, console: Console, tables: tuple[str, ...] = EXTRACTION_TABLES) -> Run:
    from transforms.articles import content_sha256
    from transforms.text import normalize, normalize_inline

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsflow-eval-") as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        with (raw / JSONL_NAME).open("w", encoding="utf-8") as fh:
            for d in docs:
                rec = {"id": d.doc_id, "title": d.title, "body": d.body, "published_at": d.published_at.date().isoformat() if d.published_at else None}
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        summary, read, _ = run_pipeline_on(raw, settings, console, tables)
    articles = read.pop("articles") or []
    by_record = {(a["source_path"], a["source_record"]): a for a in articles}
    by_sha = {a["content_sha256"]: a for a in articles}
    article_of: dict[str, dict] = {}
    for i, d in enumerate(docs):
        a = by_record.get((JSONL_NAME, i)) or by_sha.get(content_sha256(normalize_inline(d.title) or "", normalize(d.body)))
        if a is None:
            continue
        if a["body"] != d.body:
            raise RuntimeError(f"{d.doc_id}: the pipeline changed the body text; gold offsets would not line up")
        article_of[d.doc_id] = a
    return Run(summary, docs, article_of, read, len(articles), time.perf_counter() - started)


def rows_by_article(rows: list[dict] | None) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows or []:
        out[r["article_id"]].append(r)
    return out


def missing_note(run: Run, table: str) -> list[str]:
    if run.tables.get(table) is None:
        return [f"`{table}`: table not produced by this pipeline version; the prediction is empty and its scores are 0."]
    if not run.tables[table]:
        return [f"`{table}`: the table is empty (no rows from this pipeline version); the prediction is empty and its scores are 0."]
    return []


def slug(text: str) -> str:
    """A stable JSON key from a metric label: `entity F1 (PER/ORG/LOC)` -> `entity_f1_per_org_loc`."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def run_notes(run: Run) -> list[str]:
    notes = []
    if not run.summary.published:
        notes.append("the pipeline run did not publish (validation failed): " + "; ".join(run.summary.failures[:3]))
    lost = len(run.docs) - len(run.article_of)
    if lost:
        notes.append(f"{lost} document(s) did not become articles (quarantined); their gold counts as missed.")
    return notes


def _field(row: dict) -> str:
    return row.get("field") or "body"


# --- tasks ---------------------------------------------------------------------------------------------------------


def task_ner(corpora: Path, settings: Settings, console: Console) -> TaskResult:
    run = run_docs(texts_only(C.load_conll(corpora)), settings, console, ("mentions",))
    gold_docs = C.load_conll(corpora)  # gold read only now, after the tables are published
    mentions = rows_by_article(run.tables.get("mentions"))
    pred, gold = [], []
    for d in gold_docs:
        a = run.article_of.get(d.doc_id)
        for m in mentions.get(a["article_id"], []) if a else []:
            label = NER_MAP.get(m["label"])
            if label and _field(m) == "body":
                pred.append((d.doc_id, m["start_char"], m["end_char"], label))
        gold.extend((d.doc_id, s.start, s.end, s.label) for s in d.spans)
    allx = S.exact_scores(pred, gold, C.CONLL_TYPES)
    core = S.exact_scores(pred, gold, ("PER", "ORG", "LOC"))
    rows = [prf_row("all types (PER/ORG/LOC/MISC)", allx[S.OVERALL])]
    rows += [prf_row(t, allx[t]) for t in C.CONLL_TYPES]
    rows += [prf_row("PER/ORG/LOC only", core[S.OVERALL])]
    res = TaskResult("ner", [("", rows)], docs=len(gold_docs), articles=run.articles, seconds=run.seconds)
    res.headline = [("entity F1 (exact span, 4 types)", allx[S.OVERALL].f1), ("entity F1 (PER/ORG/LOC)", core[S.OVERALL].f1)]
    res.notes = run_notes(run) + missing_note(run, "mentions") + ["CoNLL-2003 dev (eng.testa); exact span and type; spaCy labels mapped to CoNLL types."]
    return res


def task_dates(corpora: Path, settings: Settings, console: Console) -> TaskResult:
    run = run_docs(texts_only(C.load_tempeval(corpora)), settings, console, ("mentions",))
    gold_docs = C.load_tempeval(corpora)
    mentions = rows_by_article(run.tables.get("mentions"))
    pred_spans: dict[str, list] = {}
    pred_values: dict[str, list] = {}
    gold_spans: dict[str, list] = {}
    exact_pred, exact_gold = [], []
    for d in gold_docs:
        a = run.article_of.get(d.doc_id)
        ms = [m for m in (mentions.get(a["article_id"], []) if a else []) if m["label"] in ("DATE", "TIME") and _field(m) == "body"]
        pred_spans[d.doc_id] = [(m["start_char"], m["end_char"]) for m in ms]
        pred_values[d.doc_id] = [m.get("normalized_value") for m in ms]
        gold_spans[d.doc_id] = [(s.start, s.end) for s in d.spans]
        exact_pred += [(d.doc_id, m["start_char"], m["end_char"], "T") for m in ms]
        exact_gold += [(d.doc_id, s.start, s.end, "T") for s in d.spans]
    span_score, pairs = S.match_by_doc(pred_spans, gold_spans)
    value_pairs = []
    by_type_hits: Counter = Counter()
    for d in gold_docs:
        for i, j in pairs.get(d.doc_id, []):
            value_pairs.append((pred_values[d.doc_id][i], d.spans[j].value))
            by_type_hits[d.spans[j].label] += 1
    vs = S.value_score(value_pairs, span_score.predicted, span_score.gold)
    exact = S.exact_scores(exact_pred, exact_gold)[S.OVERALL]
    type_counts = Counter(s.label for d in gold_docs for s in d.spans)
    rows = [
        prf_row("span detection (overlap)", span_score),
        prf_row("span detection (exact)", exact),
        prf_row("value F1 (equal value / predicted, / gold)", vs.score),
        acc_row("value accuracy on matched pairs", vs.equal, vs.matched),
    ]
    rows += [acc_row(f"recall of gold {t}", by_type_hits[t], type_counts[t]) for t in sorted(type_counts)]
    res = TaskResult("dates", [("", rows)], docs=len(gold_docs), articles=run.articles, seconds=run.seconds)
    res.headline = [("span F1 (overlap)", span_score.f1), ("value accuracy (matched)", vs.accuracy), ("value F1", vs.score.f1)]
    res.notes = run_notes(run) + missing_note(run, "mentions") + [
        "TempEval-3 TBAQ (TimeBank + AQUAINT): our DATE/TIME mentions vs every non-DCT TIMEX3 (DATE, TIME, DURATION, SET); published_at = DCT."
    ]
    return res


def attribution_units(rows: list[dict]) -> list[tuple[tuple[int, int], dict]]:
    """Our quote rows as attribution relations, the unit PolNeAR annotates: rows of one paragraph sharing one
    speaker span and one cue (`“…,” she said. “…”`, or several quoted phrases hanging from one `called`) are one
    relation, as the gold holds them as one relation whose Content has several fragments (the loader spans those
    from the first to the last). Each unit: (span from its first row's start to its last row's end, first row)."""
    groups: dict = {}
    for k, q in enumerate(rows):
        attributed = q.get("speaker_start_char") is not None and q.get("cue")
        key = (_field(q), q.get("paragraph_index"), q["speaker_start_char"], q["speaker_end_char"], q["cue"]) if attributed else k
        groups.setdefault(key, []).append(q)
    return [((min(q["start_char"] for q in g), max(q["end_char"] for q in g)), g[0]) for g in groups.values()]


def task_quotes(corpora: Path, settings: Settings, console: Console) -> TaskResult:
    run = run_docs(texts_only(C.load_polnear(corpora, "dev")), settings, console, ("quotes",))
    gold_docs = C.load_polnear(corpora, "dev")
    quotes = rows_by_article(run.tables.get("quotes"))
    pred_all, gold_all, pred_direct, gold_direct = {}, {}, {}, {}
    pred_rows: dict[str, list[dict]] = {}
    for d in gold_docs:
        a = run.article_of.get(d.doc_id)
        qs = [q for q in (quotes.get(a["article_id"], []) if a else []) if _field(q) == "body"]
        units = attribution_units(qs)
        pred_rows[d.doc_id] = [q for _, q in units]
        pred_all[d.doc_id] = [span for span, _ in units]
        pred_direct[d.doc_id] = [span for span, _ in attribution_units([q for q in qs if q.get("quote_type") in ("direct", "partial")])]
        gold_all[d.doc_id] = [(s.start, s.end) for s in d.spans]
        gold_direct[d.doc_id] = [(s.start, s.end) for s in d.spans if s.extra["direct"]]
    direct_score, _ = S.match_by_doc(pred_direct, gold_direct, S.half_shorter)
    all_score, pairs = S.match_by_doc(pred_all, gold_all, S.half_shorter)
    sp_hit: Counter = Counter()
    sp_n: Counter = Counter()
    cue_hit = cue_n = 0
    for d in gold_docs:
        for i, j in pairs.get(d.doc_id, []):
            q, g = pred_rows[d.doc_id][i], d.spans[j]
            source, cue = g.extra["source"], g.extra["cue"]
            if source is not None:
                if q.get("speaker_start_char") is not None and q.get("speaker_end_char") is not None:
                    hit = S.half_shorter((q["speaker_start_char"], q["speaker_end_char"]), (source[0], source[1]))
                else:
                    hit = S.tokens_agree(q.get("speaker_text"), [source[2]])
                for kind in ("all", q.get("speaker_kind")):
                    sp_n[kind] += 1
                    sp_hit[kind] += hit
            if cue is not None:
                cue_n += 1
                ours = [c for c in (q.get("cue"), q.get("cue_lemma")) if c]
                cue_hit += any(c.strip().casefold() == cue[2].strip().casefold() or S.tokens_agree(c, [cue[2]], frozenset()) for c in ours)
    rows = [
        prf_row("direct quotes (gold Content with quote marks; ours direct/partial)", direct_score),
        prf_row("all attributions (Content)", all_score),
        acc_row("speaker (Source) on matched pairs", sp_hit["all"], sp_n["all"]),
        acc_row("speaker where ours is a pronoun or description", sp_hit["pronoun"], sp_n["pronoun"]),
        acc_row("speaker where ours is anonymous", sp_hit["anonymous"], sp_n["anonymous"]),
        acc_row("cue on matched pairs", cue_hit, cue_n),
    ]
    res = TaskResult("quotes", [("", rows)], docs=len(gold_docs), articles=run.articles, seconds=run.seconds)
    res.headline = [("direct-quote F1", direct_score.f1), ("attribution F1", all_score.f1), ("speaker accuracy", S.ratio(sp_hit["all"], sp_n["all"]))]
    res.notes = run_notes(run) + missing_note(run, "quotes") + [
        "PolNeAR dev, first annotator's .ann per article; match = overlap of at least half the shorter span, one-to-one.",
        "Our rows sharing one paragraph, speaker span and cue count as one attribution (the gold's fragmented Content).",
        f"{sum(d.extra['swapped_roles'] for d in gold_docs)} gold relations had Source and Cue swapped (`said` as the Source, "
        "the name after it as the Cue); scored with the labels restored.",
    ]
    return res


def _trigger_span(ev: dict, text: str) -> tuple[int, int] | None:
    """The trigger's offsets: the table's own trigger columns when it has them (a search inside the evidence span
    finds the first occurrence of the word, not necessarily the trigger), else where the trigger word sits inside
    the event's evidence span (None when it cannot be found)."""
    ts, te = ev.get("trigger_start_char"), ev.get("trigger_end_char")
    if ts is not None and te is not None and text[ts:te] == ev.get("trigger"):
        return ts, te
    start, end, trig = ev.get("start_char"), ev.get("end_char"), ev.get("trigger")
    if start is None or end is None or not trig:
        return None
    m = re.search(r"(?<!\w)" + re.escape(trig) + r"(?!\w)", text[start:end], re.I)
    return (start + m.start(), start + m.end()) if m else None


def task_events(corpora: Path, settings: Settings, console: Console) -> TaskResult:
    plover_inputs = texts_only(C.load_plover(corpora))
    meantime_inputs = texts_only(C.load_meantime(corpora))
    # One pipeline run for both sets: PLOVER ids and MEANTIME ids cannot collide.
    run = run_docs(plover_inputs + meantime_inputs, settings, console, ("events",))
    plover, meantime = C.load_plover(corpora), C.load_meantime(corpora)
    events = rows_by_article(run.tables.get("events"))

    def best(evs: list[dict]) -> dict | None:
        return max(evs, key=lambda e: e.get("confidence") or 0.0) if evs else None

    detected = type_hit = type_on_detected = a1_hit = a1_n = a2_hit = a2_n = n_pred_events = 0
    for d in plover:
        a = run.article_of.get(d.doc_id)
        evs = events.get(a["article_id"], []) if a else []
        n_pred_events += len(evs)
        top = best(evs)
        detected += top is not None
        hit = top is not None and top.get("event_type") == d.extra["event"]
        type_hit += hit
        type_on_detected += hit
        if d.extra["source"]:
            a1_n += 1
            a1_hit += top is not None and S.tokens_agree(top.get("actor1_text"), d.extra["source"])
        if d.extra["target"]:
            a2_n += 1
            a2_hit += top is not None and S.tokens_agree(top.get("actor2_text"), d.extra["target"])
    plover_rows = [
        acc_row("event detected (>= 1 event for the sentence)", detected, len(plover)),
        acc_row("event type (best-confidence event)", type_hit, len(plover)),
        acc_row("event type, detected sentences only", type_on_detected, detected),
        acc_row("actor1 = gold source (token overlap)", a1_hit, a1_n),
        acc_row("actor2 = gold target (token overlap)", a2_hit, a2_n),
    ]

    pred_spans: dict[tuple, list] = defaultdict(list)
    pred_rows: dict[tuple, list] = defaultdict(list)
    gold_spans: dict[tuple, list] = defaultdict(list)
    gold_rows: dict[tuple, list] = defaultdict(list)
    for d in meantime:
        a = run.article_of.get(d.doc_id)
        for ev in events.get(a["article_id"], []) if a else []:
            fld = _field(ev)
            key = (d.doc_id, fld)
            pred_spans[key].append(_trigger_span(ev, a["title"] if fld == "title" else a["body"]))
            pred_rows[key].append(ev)
        for s in d.spans:
            key = (d.doc_id, s.extra["field"])
            gold_spans[key].append((s.start, s.end))
            gold_rows[key].append(s)
    trig_score, pairs = S.match_by_doc(dict(pred_spans), dict(gold_spans))
    m1_hit = m1_n = m2_hit = m2_n = date_hit = date_n = 0
    for key, ps in pairs.items():
        for i, j in ps:
            ev, g = pred_rows[key][i], gold_rows[key][j]
            if g.extra["arg0"]:
                m1_n += 1
                m1_hit += S.tokens_agree(ev.get("actor1_text"), g.extra["arg0"])
            if g.extra["arg1"]:
                m2_n += 1
                m2_hit += S.tokens_agree(ev.get("actor2_text"), g.extra["arg1"])
            same = S.same_calendar_date(_iso(ev.get("event_date")), g.extra["date"])
            if same is not None:
                date_n += 1
                date_hit += same
    meantime_rows = [
        prf_row("event trigger (overlap with gold EVENT_MENTION)", trig_score),
        acc_row("actor1 = Arg0 on matched events", m1_hit, m1_n),
        acc_row("actor2 = Arg1 on matched events", m2_hit, m2_n),
        acc_row("event_date = anchored TIMEX3 on matched events", date_hit, date_n),
    ]
    res = TaskResult("events", [("plover", plover_rows), ("meantime", meantime_rows)], docs=len(plover) + len(meantime),
                     articles=run.articles, seconds=run.seconds)
    res.headline = [
        ("PLOVER detection", S.ratio(detected, len(plover))),
        ("PLOVER type accuracy", S.ratio(type_hit, len(plover))),
        ("PLOVER actor1 accuracy", S.ratio(a1_hit, a1_n)),
        ("MEANTIME trigger F1", trig_score.f1),
    ]
    res.notes = run_notes(run) + missing_note(run, "events") + [
        f"PLOVER GSR dev: {len(plover)} one-sentence records ({n_pred_events} events predicted); MEANTIME dev: {len(meantime)} articles,"
        " triggers located inside each event's evidence span; actor accuracy = a shared non-stop-word token."
    ]
    return res


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


# --- entities: names and in-article coreference ---------------------------------------------------------------------

ENTITY_MAP = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
NAMED = ("NAM", "PRE.NAM")


def task_entities(corpora: Path, settings: Settings, console: Console) -> TaskResult:
    """MEANTIME dev: named PER/ORG/LOC mentions found (head match), and whether the mentions of one gold entity carry
    one entity_id. A prediction matches a gold mention of the same type when its span holds the gold head token."""
    run = run_docs(texts_only(C.load_meantime(corpora)), settings, console, ("mentions", "entities"))
    gold_docs = C.load_meantime(corpora)  # gold read only now
    rows = score_entities(gold_docs, run.article_of, run.tables.get("mentions"), run.tables.get("entities"))
    res = TaskResult("entities", [("", rows)], docs=len(gold_docs), articles=run.articles, seconds=run.seconds)
    res.headline = [("entity F1 (head match, PER/ORG/LOC)", rows[0].score.f1), ("in-article coreference accuracy", rows[4].value),
                    ("merge rate", rows[5].value)]
    res.notes = run_notes(run) + missing_note(run, "mentions") + [
        "MEANTIME dev (Wikinews): gold = NAM/PRE.NAM entity mentions of PER/ORG/LOC instances (REFERS_TO); ours = PERSON,"
        " ORG, GPE/LOC/FAC mentions; a prediction on an unnamed gold mention is not counted. Coreference judges the gold"
        " entities with two or more named mentions of which two or more were found; ids are followed through"
        " `entities.merged_into` when the column exists."
    ]
    return res


def score_entities(gold_docs: list[C.GoldDoc], article_of: dict[str, dict], mention_rows: list[dict] | None,
                   entity_rows: list[dict] | None) -> list[Row]:
    """The rows of `eval entities` from published mentions and entities (see `task_entities`)."""
    mentions = rows_by_article(mention_rows)
    merged = {e["entity_id"]: e.get("merged_into") or e["entity_id"] for e in entity_rows or []}
    tp = n_pred = n_gold = 0
    per_type = {t: [0, 0, 0] for t in C.ENTITY_TYPES}
    links: list[tuple[str, str, str, str, str | None]] = []  # (doc, gold entity, mention id, effective id, ref)
    for d in gold_docs:
        a = article_of.get(d.doc_id)
        for fld in ("title", "body"):
            for t in C.ENTITY_TYPES:
                preds = [m for m in (mentions.get(a["article_id"], []) if a else []) if _field(m) == fld and ENTITY_MAP.get(m["label"]) == t]
                golds = [s for s in d.extra["entities"] if s.extra["field"] == fld and s.label == t]
                named = [s for s in golds if s.extra["syntactic_type"] in NAMED]
                other = [s for s in golds if s.extra["syntactic_type"] not in NAMED]
                spans = [(m["start_char"], m["end_char"]) for m in preds]
                pairs = S.match_spans(spans, [s.extra["head"] for s in named], _holds)
                used = {i for i, _ in pairs}
                # A prediction on an unnamed gold mention ("the automaker General Motors" typed as a description) is
                # neither right nor wrong here: it is left out of the count.
                rest = [i for i in range(len(preds)) if i not in used]
                dont_care = {rest[i] for i, _ in S.match_spans([spans[i] for i in rest], [s.extra["head"] for s in other], _holds)}
                counted = len(preds) - len(dont_care)
                tp += len(pairs)
                n_pred += counted
                n_gold += len(named)
                per_type[t][0] += len(pairs)
                per_type[t][1] += counted
                per_type[t][2] += len(named)
                for i, j in pairs:
                    m, g = preds[i], named[j]
                    links.append((d.doc_id, g.extra["entity"], m["entity_id"], merged.get(m["entity_id"], m["entity_id"]), g.extra["ref"]))
    score = S.prf(tp, n_pred, n_gold)
    gold_named: Counter = Counter()
    for d in gold_docs:
        for s in d.extra["entities"]:
            if s.extra["syntactic_type"] in NAMED:
                gold_named[(d.doc_id, s.extra["entity"])] += 1

    def coreference(pos: int) -> tuple[int, int, int, int]:
        """(entities whose matched mentions share one id, entities judged, ids joining two gold entities, ids)."""
        ids_of: dict[tuple, set] = defaultdict(set)
        found: Counter = Counter()
        golds_of: dict[tuple, set] = defaultdict(set)
        for link in links:
            ids_of[link[:2]].add(link[pos])
            found[link[:2]] += 1
            golds_of[(link[0], link[pos])].add(link[1])
        judged = [k for k, n in gold_named.items() if n >= 2 and found[k] >= 2]
        return sum(len(ids_of[k]) == 1 for k in judged), len(judged), sum(len(v) > 1 for v in golds_of.values()), len(golds_of)

    hit, judged, merges, ids = coreference(3)
    raw_hit, raw_judged, raw_merges, raw_ids = coreference(2)
    by_ref: dict[str, set] = defaultdict(set)
    for _, _, _, eid, ref in links:
        if ref:
            by_ref[eid].add(ref)
    n_multi = sum(n >= 2 for n in gold_named.values())
    rows = [prf_row("named entity mentions (head match, PER/ORG/LOC)", score)]
    rows += [prf_row(t, S.prf(*per_type[t])) for t in C.ENTITY_TYPES]
    rows += [
        acc_row("coreference: gold entities (2+ named mentions found) on one id", hit, judged),
        acc_row("merge rate: ids (per article) joining two gold entities", merges, ids),
        acc_row("coreference on mention ids before cross-article merges", raw_hit, raw_judged),
        acc_row("merge rate on mention ids before cross-article merges", raw_merges, raw_ids),
        acc_row("ids across articles joining two DBpedia entities", sum(len(v) > 1 for v in by_ref.values()), len(by_ref)),
        acc_row("gold entities with 2+ named mentions, 2+ of them found", judged, n_multi),
    ]
    return rows


def _holds(pred: tuple[int, int], head: tuple[int, int]) -> bool:
    """The prediction's span holds the gold head token."""
    return pred[0] <= head[0] and head[1] <= pred[1]


# --- articles: header parsing --------------------------------------------------------------------------------------

_PAGE_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_CREDIT = re.compile(r"^(.*\S)\s*\(([^()]+)\)\s*$")


def _decode(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def layout_gold(text: str) -> dict:
    """Gold header fields of a plain-text file, from the documented layouts (not from the pipeline's reader).

    Page scrape (headline repeated): headline; headline; caption (credit); byline; MM/DD/YYYY; Updated:; MM/DD/YYYY; body.
    Otherwise headline-first: headline, then the body; no author, date, caption.
    """
    from transforms.text import normalize

    lines = text.replace("\r\n", "\n").split("\n")
    idx = [i for i, line in enumerate(lines) if line.strip()]
    head = lines[idx[0]].strip()
    gold: dict = {"title": head}
    if len(idx) >= 8 and lines[idx[1]].strip() == head:
        caption, byline, pub, upd_label, upd = (lines[i].strip() for i in idx[2:7])
        m = _CREDIT.match(caption)
        pm, um = _PAGE_DATE.match(pub), _PAGE_DATE.match(upd)
        if m and pm and um and upd_label.lower().startswith("updated"):
            gold.update(caption=m.group(1), image_credit=m.group(2), authors=[byline],
                        published_at=date(int(pm.group(3)), int(pm.group(1)), int(pm.group(2))),
                        updated_at=date(int(um.group(3)), int(um.group(1)), int(um.group(2))),
                        body=normalize("\n".join(lines[idx[6] + 1 :])))
            return gold
    gold.update(caption=None, image_credit=None, authors=[], published_at=None, updated_at=None,
                body=normalize("\n".join(lines[idx[0] + 1 :])))
    return gold


def _same(field_name: str, ours, gold) -> bool:
    from transforms.text import normalize_inline

    if field_name == "title":
        return (ours or "") == (normalize_inline(gold) or "")
    if field_name == "title_loose":
        return _loose(ours) == _loose(gold)
    if field_name == "authors":
        return [normalize_inline(a) for a in (ours or [])] == [normalize_inline(a) for a in gold]
    if field_name == "authors_loose":
        return (not ours and not gold) or (bool(ours) and bool(gold) and S.tokens_agree(" ".join(ours), gold))
    if field_name in ("published_at", "updated_at"):
        ours_d = ours.date() if isinstance(ours, datetime) else ours
        return ours_d == gold
    if field_name in ("caption", "image_credit"):
        return (ours or None) == normalize_inline(gold)
    if field_name == "body":
        return ours == gold
    raise KeyError(field_name)


def _loose(text: str | None) -> str:
    return re.sub(r"[\W_]+", "", (text or "").casefold())


def _reuters_gold(path: Path) -> list[dict]:
    raw = path.read_bytes().decode("latin-1")
    out = []
    for i, m in enumerate(re.finditer(r"<REUTERS\b(.*?)>(.*?)</REUTERS>", raw, re.S)):
        block = m.group(2)

        def tag(name: str) -> str | None:
            t = re.search(rf"<{name}>(.*?)</{name}>", block, re.S)
            return html.unescape(t.group(1)).strip() if t else None

        gold: dict = {"record": i, "newid": re.search(r'NEWID="(\d+)"', m.group(1)).group(1)}
        title, when, author = tag("TITLE"), tag("DATE"), tag("AUTHOR")
        if title:
            gold["title_loose"] = title
        if when:
            try:
                gold["published_at"] = datetime.strptime(when.split()[0], "%d-%b-%Y").date()
            except ValueError:
                pass
        if author:
            gold["authors_loose"] = [re.sub(r"^by\s+|,\s*reuters$", "", author, flags=re.I).strip()]
        out.append(gold)
    return out


def task_articles(corpora: Path, settings: Settings, console: Console) -> TaskResult:
    """Header parsing: the raw files themselves go through the pipeline (txt reader, and the Reuters reader if any)."""
    from transforms.readers import format_of

    started = time.perf_counter()
    notes: list[str] = []
    repo = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="newsflow-eval-") as tmp:
        raw = Path(tmp) / "raw"
        inputs: list[tuple[str, Path, str]] = []  # (set name, source file, path relative to raw)
        for split in ("train", "dev"):
            for txt, _ in C.polnear_files(corpora, split):
                inputs.append(("polnear", txt, f"polnear/{split}/{txt.name}"))
        seed = sorted((corpora / "seed").glob("*.txt"))
        inputs += [("seed", p, f"seed/{p.name}") for p in seed]
        samples = repo / "data" / "raw" / "text"
        if samples.is_dir():
            inputs += [("samples", p, f"samples/{p.name}") for p in sorted(samples.iterdir()) if format_of(p.name)[0] == "txt"]
        reuters_files = sorted((corpora / "reuters21578").glob("reut2-*.sgm"))[:1]
        has_reuters = bool(reuters_files) and format_of(reuters_files[0].name)[0] is not None
        if has_reuters:
            inputs += [("reuters", p, f"reuters/{p.name}") for p in reuters_files]
        else:
            notes.append("Reuters-21578: no .sgm reader in this pipeline version; skipped.")
        for _, src, rel in inputs:
            (raw / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, raw / rel)
        # Header parsing needs the articles table only: extraction off keeps this task fast.
        summary, read, _ = run_pipeline_on(raw, settings.replace(extract=False), console, ())
    articles = read["articles"] or []
    by_path: dict[str, list[dict]] = defaultdict(list)
    for a in articles:
        by_path[a["source_path"]].append(a)
    by_sha = {a["content_sha256"]: a for a in articles}

    # Gold is read only now.
    meta = C.load_polnear_metadata(corpora)
    checks: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    n_docs = 0
    for set_name, src, rel in inputs:
        if set_name == "reuters":
            recs = {a["source_record"]: a for a in by_path.get(rel, [])}
            for g in _reuters_gold(src):
                n_docs += 1
                a = recs.get(g["record"])
                for name in ("title_loose", "published_at", "authors_loose"):
                    if name in g:
                        checks[set_name][name].append(a is not None and _same(name, a.get(name.replace("_loose", "")), g[name]))
            continue
        n_docs += 1
        text = _decode(src.read_bytes())
        gold = layout_gold(text)
        if set_name == "polnear":
            gold["title"] = meta[src.stem]["title"]  # the metadata title (the text's headline has a "." appended)
            gold["title_loose"] = gold["title"]
        found = by_path.get(rel)
        a = found[0] if found else None
        if a is None:  # an exact duplicate of an earlier file: merged into that article
            from transforms.articles import content_sha256
            from transforms.text import normalize_inline

            a = by_sha.get(content_sha256(normalize_inline(gold["title"]) or "", gold["body"]))
        for name, value in gold.items():
            ours = None if a is None else a.get("title" if name == "title_loose" else name)
            checks[set_name][name].append(a is not None and _same(name, ours, value))
    order = ("title", "title_loose", "authors", "authors_loose", "published_at", "updated_at", "caption", "image_credit", "body")
    sections = []
    totals: dict[str, list[bool]] = defaultdict(list)
    for set_name, fields_ in checks.items():
        rows = []
        for name in order:
            if name in fields_:
                rows.append(acc_row(name, sum(fields_[name]), len(fields_[name])))
                totals[name] += fields_[name]
        sections.append((set_name, rows))
    res = TaskResult("articles", sections, docs=n_docs, articles=len(articles), seconds=time.perf_counter() - started)
    res.headline = [(f"{name} accuracy", S.ratio(sum(totals[name]), len(totals[name]))) for name in ("title", "authors", "published_at", "body") if totals[name]]
    if not summary.published:
        notes.append("the pipeline run did not publish (validation failed): " + "; ".join(summary.failures[:3]))
    notes.append(
        "polnear = PolNeAR train+dev text files (title vs metadata.tsv; their text carries no author or date, so the gold"
        " is none); seed and samples = data/raw/text and the seed, gold from their documented layout."
    )
    res.notes = notes
    return res


TASK_FUNCS: dict[str, Callable[[Path, Settings, Console], TaskResult]] = {
    "ner": task_ner, "dates": task_dates, "quotes": task_quotes, "events": task_events, "entities": task_entities,
    "articles": task_articles,
}


# --- printing ------------------------------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def print_result(res: TaskResult, console: Console) -> None:
    table = Table(title=f"newsflow eval {res.task}: {res.docs:,} documents, {res.articles:,} articles, {res.seconds:.1f} s")
    for col, justify in (("set", "left"), ("metric", "left"), ("precision", "right"), ("recall", "right"), ("F1", "right"), ("accuracy", "right"), ("support", "right")):
        table.add_column(col, justify=justify)
    for section, rows in res.sections:
        for row in rows:
            s = row.score
            table.add_row(section, row.metric, _pct(s.precision) if s else "", _pct(s.recall) if s else "", _pct(s.f1) if s else "",
                          _pct(row.value), f"{row.n:,}" if row.n is not None else "")
    console.print(table)
    for note in res.notes:
        console.print(f"  [dim]note:[/dim] {note}")


def print_summary(results: list[TaskResult], seconds: float, console: Console) -> None:
    table = Table(title=f"newsflow eval all: summary ({seconds:.1f} s)")
    table.add_column("task")
    table.add_column("headline metric")
    table.add_column("value", justify="right")
    for res in results:
        for name, value in res.headline:
            table.add_row(res.task, name, f"{value:.3f}")
    console.print(table)


# --- entry point ---------------------------------------------------------------------------------------------------


def main(task: str, json_path: Path | None, settings: Settings, console: Console) -> int:
    """Run one task (or `all`), print the tables, optionally write the figures as JSON. Exit code 0, or 2 on bad input."""
    task = task.strip().lower()
    if task != "all" and task not in TASKS:
        console.print(f"[red]error:[/red] unknown task {task!r}; choose one of {', '.join(TASKS)} or all")
        return 2
    corpora = Path(settings.corpora_dir).expanduser().resolve()
    if not corpora.is_dir():
        console.print(f"[red]error:[/red] corpora folder {corpora} does not exist (set --corpora or NEWSFLOW_CORPORA_DIR;"
                      " the default is ../shared/corpora relative to the current directory)")
        return 2
    started = time.perf_counter()
    results: list[TaskResult] = []
    for name in TASKS if task == "all" else (task,):
        console.print(f"[bold]eval {name}[/bold]: running the pipeline over {corpora} ...")
        try:
            res = TASK_FUNCS[name](corpora, settings, console)
        except C.CorpusError as exc:
            console.print(f"[red]error:[/red] {name}: {exc}")
            return 2
        print_result(res, console)
        results.append(res)
    seconds = time.perf_counter() - started
    if task == "all":
        print_summary(results, seconds, console)
    console.print(f"eval {task}: {seconds:.1f} s")
    if json_path is not None:
        figures: dict = {res.task: res.figures() for res in results}
        figures["runtime_seconds"] = round(seconds, 2)
        json_path = Path(json_path)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(figures, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        console.print(f"figures written to {json_path}")
    return 0
