"""Loaders for the annotated corpora under the corpora folder (`../shared/corpora` by default), read in place.

Every loader returns `GoldDoc`s whose `title` and `body` are already in the pipeline's normal form
(`transforms.text.normalize(body) == body`, checked for every document), with the gold character offsets mapped from
the corpus's own text onto that body. Offsets are 0-based, end-exclusive Python string indices into `body` (or into
`title` when `span.extra["field"] == "title"`), and `span.text` is exactly that slice.

Nothing here runs the pipeline; the runner writes `title`/`body`/`published_at` to the pipeline and keeps `spans`
and `extra` (the gold) away from it until the tables are published.
"""

from __future__ import annotations

import bisect
import html
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from transforms import text as textmod


@dataclass
class Span:
    start: int
    end: int
    label: str
    value: str | None = None
    text: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class GoldDoc:
    doc_id: str
    title: str
    body: str
    published_at: datetime | None
    spans: list[Span]
    extra: dict


class CorpusError(RuntimeError):
    """A corpus file is missing or does not look as its SOURCE.md describes."""


# --- text normalisation with an offset map ---------------------------------------------------------------------------

_SPACE_CHARS = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_DROP_CHARS = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b-\x1f\x7f-\x9f]")


class MappedText:
    """`text` is the normal form of an original string; `origin[i]` is the original index of `text[i]`."""

    def __init__(self, original: str):
        chars: list[tuple[str, int]] = []
        i, n = 0, len(original)
        while i < n:
            c = original[i]
            if c == "\r":
                if i + 1 < n and original[i + 1] == "\n":
                    i += 1
                    continue
                c = "\n"
            elif c in "\u2028\u2029":
                c = "\n"
            elif _SPACE_CHARS.match(c):
                c = " "
            elif _DROP_CHARS.match(c):
                i += 1
                continue
            chars.append((c, i))
            i += 1
        # Lines: strip ends, collapse runs of spaces.
        lines: list[list[tuple[str, int]]] = [[]]
        newlines: list[int] = []
        for c, k in chars:
            if c == "\n":
                newlines.append(k)
                lines.append([])
            else:
                lines[-1].append((c, k))
        cleaned: list[list[tuple[str, int]]] = []
        for line in lines:
            out: list[tuple[str, int]] = []
            for c, k in line:
                if c == " " and (not out or out[-1][0] == " "):
                    continue
                out.append((c, k))
            while out and out[-1][0] == " ":
                out.pop()
            cleaned.append(out)
        # Join: at most one blank line between paragraphs, none at either end.
        result: list[tuple[str, int]] = []
        pending_breaks = 0
        for idx, line in enumerate(cleaned):
            if not line:
                if result:
                    pending_breaks += 1
                continue
            if result:
                nl = newlines[idx - 1]
                result.extend([("\n", nl)] * min(2, pending_breaks + 1))
            result.extend(line)
            pending_breaks = 0
        text = "".join(c for c, _ in result)
        origin = [k for _, k in result]
        repaired = textmod.normalize(text)
        if repaired != text:  # mojibake and the like (ftfy): align the repaired text with the collapsed one
            text, origin = repaired, _realign(text, origin, repaired)
        self.text = text
        self.origin = origin

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Original [start, end) to normalised [start, end), trimmed of white space; None if nothing of it is left."""
        s = bisect.bisect_left(self.origin, start)
        e = bisect.bisect_left(self.origin, end)
        while s < e and self.text[s].isspace():
            s += 1
        while e > s and self.text[e - 1].isspace():
            e -= 1
        return (s, e) if s < e else None


def _realign(text: str, origin: list[int], repaired: str) -> list[int]:
    """Original indices for each character of `repaired`, a lightly edited copy of `text` (whose map is `origin`)."""
    import difflib

    out: list[int] = []
    matcher = difflib.SequenceMatcher(None, text, repaired, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(origin[i1:i2])
        elif op in ("replace", "insert"):
            lo = origin[i1] if i1 < len(origin) else (origin[-1] + 1 if origin else 0)
            hi = origin[i2 - 1] if i2 > i1 else lo
            for k in range(j2 - j1):
                out.append(lo + (hi - lo) * k // max(1, j2 - j1))
    return out


def check_normal(doc_id: str, body: str, title: str = "") -> None:
    """Fail loudly when the pipeline would change the text (and so shift every offset)."""
    if textmod.normalize(body) != body:
        raise CorpusError(f"{doc_id}: body is not in normal form; offsets would not survive the pipeline")
    if title and (textmod.normalize_inline(title) or "") != title:
        raise CorpusError(f"{doc_id}: title is not in normal form")
    if unicodedata.normalize("NFC", body) != body:
        raise CorpusError(f"{doc_id}: body is not NFC")


def _require(path: Path) -> Path:
    if not path.exists():
        raise CorpusError(f"{path} does not exist")
    return path


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    m = re.match(r"(\d{4})-?(\d{2})-?(\d{2})", value)
    if not m:
        return None
    return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=timezone.utc)


def _date_line(line: str) -> datetime | None:
    """A date line such as "March 01 , 2008" (used when the DCT value is not ISO, e.g. "03-02-2009")."""
    from dateutil import parser as dateparser

    try:
        return dateparser.parse(line.replace(" ,", ","), fuzzy=False).replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None


def collapse(text: str) -> str:
    """White-space-insensitive form of a gold string, to compare it with the mapped slice."""
    return " ".join(text.split())


# --- CoNLL-2003 ----------------------------------------------------------------------------------------------------

CONLL_TYPES = ("PER", "ORG", "LOC", "MISC")


def load_conll(corpora_dir: Path, split: str = "eng.testa") -> list[GoldDoc]:
    """CoNLL-2003 English: one document per -DOCSTART- block (the file's first -DOCSTART- sits at its end).

    body = tokens joined by single spaces, sentences by "\\n"; title = "Document N" (neutral; only body is scored).
    Spans: one per IOB1 entity, label PER/ORG/LOC/MISC.
    """
    path = _require(Path(corpora_dir) / "conll2003" / split)
    docs_tokens: list[list[list[tuple[str, str]]]] = [[]]
    sentence: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        line = line.strip()
        if line.startswith("-DOCSTART-"):
            if sentence:
                docs_tokens[-1].append(sentence)
                sentence = []
            docs_tokens.append([])
            continue
        if not line:
            if sentence:
                docs_tokens[-1].append(sentence)
                sentence = []
            continue
        parts = line.split(" ")
        sentence.append((parts[0], parts[-1]))
    if sentence:
        docs_tokens[-1].append(sentence)
    docs: list[GoldDoc] = []
    for sentences in docs_tokens:
        if not sentences:
            continue
        n = len(docs) + 1
        body_parts: list[str] = []
        spans: list[Span] = []
        pos = 0
        for si, sent in enumerate(sentences):
            if si:
                body_parts.append("\n")
                pos += 1
            current: list | None = None  # [start, end, type]
            for ti, (word, tag) in enumerate(sent):
                if ti:
                    body_parts.append(" ")
                    pos += 1
                start, end = pos, pos + len(word)
                body_parts.append(word)
                pos = end
                if tag == "O":
                    if current:
                        spans.append(Span(current[0], current[1], current[2]))
                    current = None
                    continue
                prefix, etype = tag.split("-", 1)
                if current and current[2] == etype and prefix == "I":
                    current[1] = end
                else:
                    if current:
                        spans.append(Span(current[0], current[1], current[2]))
                    current = [start, end, etype]
            if current:
                spans.append(Span(current[0], current[1], current[2]))
        body = "".join(body_parts)
        for s in spans:
            s.text = body[s.start : s.end]
        doc_id = f"conll-{split}-{n:04d}"
        check_normal(doc_id, body)
        docs.append(GoldDoc(doc_id, f"Document {n}", body, None, spans, {"sentences": len(sentences)}))
    return docs


# --- TempEval-3 TBAQ -----------------------------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)([A-Za-z0-9_]+)((?:\s+[^>]*?)?)\s*(/?)>", re.S)
_ATTR = re.compile(r'([A-Za-z_:]+)\s*=\s*"([^"]*)"')


def _strip_inline_tags(markup: str) -> tuple[str, list[tuple[str, dict, int, int]]]:
    """Inline XML to (plain text, [(tag, attrs, start, end)]) with entities decoded."""
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, dict, int]] = []
    elements: list[tuple[str, dict, int, int]] = []
    last = 0
    for m in _TAG.finditer(markup):
        chunk = html.unescape(markup[last : m.start()])
        out.append(chunk)
        pos += len(chunk)
        last = m.end()
        closing, name, attrs, selfclosing = m.group(1), m.group(2), m.group(3), m.group(4)
        if closing:
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == name:
                    tag, a, start = stack.pop(k)
                    elements.append((tag, a, start, pos))
                    break
        else:
            a = {k: html.unescape(v) for k, v in _ATTR.findall(attrs or "")}
            if selfclosing:
                elements.append((name, a, pos, pos))
            else:
                stack.append((name, a, pos))
    chunk = html.unescape(markup[last:])
    out.append(chunk)
    return "".join(out), elements


def load_tempeval(corpora_dir: Path) -> list[GoldDoc]:
    """TempEval-3 TBAQ-cleaned (TimeBank + AQUAINT), one document per .tml file.

    body = the TEXT element with the inline tags removed (normalised); title = ""; published_at = the DCT value.
    Spans: every TIMEX3 inside TEXT (DATE, TIME, DURATION, SET; the DCT is outside TEXT), label = TIMEX3 type,
    value = gold normalised value, extra = {tid, subcorpus}. doc.extra["dct"] = the DCT value string.
    """
    root = _require(Path(corpora_dir) / "tempeval3-tbaq")
    docs: list[GoldDoc] = []
    for sub in ("TimeBank", "AQUAINT"):
        for path in sorted(_require(root / sub).glob("*.tml")):
            raw = path.read_text(encoding="utf-8")
            dct = re.search(r"<DCT>\s*<TIMEX3[^>]*\bvalue=\"([^\"]*)\"", raw)
            text_m = re.search(r"<TEXT>(.*)</TEXT>", raw, re.S)
            if not dct or not text_m:
                raise CorpusError(f"{path}: no DCT or TEXT element")
            plain, elements = _strip_inline_tags(text_m.group(1))
            mapped = MappedText(plain)
            body = mapped.text
            spans: list[Span] = []
            for tag, attrs, start, end in elements:
                if tag != "TIMEX3":
                    continue
                se = mapped.span(start, end)
                if se is None:
                    continue
                spans.append(
                    Span(se[0], se[1], attrs.get("type", ""), attrs.get("value"), body[se[0] : se[1]],
                         {"tid": attrs.get("tid"), "subcorpus": sub, "orig_text": plain[start:end]})
                )
            spans.sort(key=lambda s: (s.start, s.end))
            doc_id = f"{sub}/{path.stem}"
            check_normal(doc_id, body)
            docs.append(GoldDoc(doc_id, "", body, _date(dct.group(1)), spans, {"dct": dct.group(1), "subcorpus": sub}))
    return docs


# --- PolNeAR -------------------------------------------------------------------------------------------------------

_QUOTE_MARKS = "\"“”„‟«»"


def _read_ann(path: Path) -> tuple[dict[str, tuple[str, list[tuple[int, int]], str]], list[dict[str, str]]]:
    spans: dict[str, tuple[str, list[tuple[int, int]], str]] = {}
    relations: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 2:
            label, _, offsets = parts[1].partition(" ")
            frags = []
            for frag in offsets.split(";"):
                a, b = frag.split()
                frags.append((int(a), int(b)))
            spans[parts[0]] = (label, frags, parts[2] if len(parts) > 2 else "")
        elif line.startswith("E") and len(parts) >= 2:
            roles: dict[str, str] = {}
            for item in parts[1].split():
                role, _, ref = item.partition(":")
                roles.setdefault(re.sub(r"\d+$", "", role), ref)
            relations.append(roles)
    return spans, relations


def polnear_files(corpora_dir: Path, split: str) -> list[tuple[Path, list[Path]]]:
    """(text file, sorted .ann files of its annotators) for one split."""
    base = _require(Path(corpora_dir) / "polnear" / split)
    anns = sorted((base / "attributions").glob("*.ann")) if (base / "attributions").is_dir() else []
    by_stem: dict[str, list[Path]] = {}
    for ann in anns:
        by_stem.setdefault(ann.stem.rsplit("_", 1)[0], []).append(ann)
    return [(txt, by_stem.get(txt.stem, [])) for txt in sorted(_require(base / "text").glob("*.txt"))]


# A Source that is only a reporting word, right before its Cue (`,” said [Source] Hester [Cue]`): the annotator swapped
# the two labels (6 relations of PolNeAR dev). The loader restores them, and says how many it restored.
_CUE_WORDS = frozenset({"said", "says", "say", "told", "tells", "according to"})


def _roles_swapped(source, cue) -> bool:
    return (source is not None and cue is not None and source[2].strip().casefold() in _CUE_WORDS
            and 0 <= cue[0] - source[1] <= 1)


def load_polnear(corpora_dir: Path, split: str = "dev") -> list[GoldDoc]:
    """PolNeAR attributions: body = the text file minus its first line (the headline), title = the headline.

    Gold = the first annotator's .ann (sorted by file name). One span per attribution relation that has Content in
    the body: label "Content", extra = {source: (start, end, text) | None, cue: (start, end, text) | None,
    direct: Content holds quote marks, fragments, annotator}. Attributions whose Content lies in the headline are
    left out (counted in doc.extra["headline_attributions"]); swapped Source/Cue labels are restored (counted in
    doc.extra["swapped_roles"]).
    """
    docs: list[GoldDoc] = []
    for txt, anns in polnear_files(corpora_dir, split):
        raw = txt.read_text(encoding="utf-8")
        first, _, rest = raw.partition("\n")
        base = len(first) + 1
        mapped = MappedText(rest)
        body = mapped.text
        title = textmod.normalize_inline(first) or ""
        spans: list[Span] = []
        skipped = swapped = 0
        annotator = None
        if anns:
            ann = anns[0]
            annotator = ann.stem.rsplit("_", 1)[1]
            tspans, relations = _read_ann(ann)

            def mapped_span(ref: str | None):
                if not ref or ref not in tspans:
                    return None
                _, frags, _ = tspans[ref]
                start, end = min(a for a, _ in frags), max(b for _, b in frags)
                if start < base:
                    return None
                se = mapped.span(start - base, end - base)
                return None if se is None else (se[0], se[1], body[se[0] : se[1]])

            for rel in relations:
                content_ref = rel.get("Content")
                if content_ref not in tspans:
                    continue
                content = mapped_span(content_ref)
                if content is None:
                    skipped += 1
                    continue
                _, frags, orig = tspans[content_ref]
                source, cue = mapped_span(rel.get("Source")), mapped_span(rel.get("Cue"))
                if _roles_swapped(source, cue):
                    source, cue = cue, source
                    swapped += 1
                direct = any(ch in _QUOTE_MARKS for ch in orig) or "''" in orig  # NYT writes a double mark as two apostrophes
                spans.append(
                    Span(content[0], content[1], "Content", None, content[2],
                         {"source": source, "cue": cue, "direct": direct,
                          "fragments": [(a - base, b - base) for a, b in frags], "orig_text": raw[min(a for a, _ in frags) : max(b for _, b in frags)]})
                )
        spans.sort(key=lambda s: (s.start, s.end))
        check_normal(txt.stem, body, title)
        docs.append(GoldDoc(txt.stem, title, body, None, spans,
                            {"annotator": annotator, "annotators": len(anns), "headline_attributions": skipped,
                             "swapped_roles": swapped, "path": str(txt)}))
    return docs


def load_polnear_metadata(corpora_dir: Path) -> dict[str, dict[str, str]]:
    """metadata.tsv rows by file name stem (the metadata's `filename` is a prefix of the text file's stem)."""
    import csv

    path = _require(Path(corpora_dir) / "polnear" / "metadata.tsv")
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["filename"]: row for row in csv.DictReader(fh, delimiter="\t")}


# --- PLOVER GSR ----------------------------------------------------------------------------------------------------


def _actors(value) -> list[dict]:
    """`source`/`target` is a list of actor objects; a few records hold "" or a bare word (no actor): none."""
    return [a for a in value if isinstance(a, dict) and a.get("actorText")] if isinstance(value, list) else []


def load_plover(corpora_dir: Path) -> list[GoldDoc]:
    """PLOVER gold-standard records (dev): one document per event record (record 0, the DOCUMENT header, skipped).

    title = "", body = the sentence; no spans; extra = {event, eventText, source: [actorText], target: [actorText],
    source_codes, target_codes, markup}.
    """
    folder = _require(Path(corpora_dir) / "plover-gsr-dev")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise CorpusError(f"{folder}: no .json file")
    records = json.loads(files[0].read_text(encoding="utf-8"))
    docs: list[GoldDoc] = []
    for rec in records:
        if rec.get("event") == "DOCUMENT" or not rec.get("text"):
            continue
        body = MappedText(rec["text"]).text
        check_normal(rec["id"], body)
        source, target = _actors(rec.get("source")), _actors(rec.get("target"))
        docs.append(
            GoldDoc(rec["id"], "", body, None, [],
                    {"event": rec.get("event"), "eventText": rec.get("eventText"),
                     "source": [a.get("actorText") or "" for a in source], "target": [a.get("actorText") or "" for a in target],
                     "source_codes": [a.get("code") for a in source], "target_codes": [a.get("code") for a in target],
                     "markup": (rec.get("textInfo") or {}).get("markup")})
        )
    return docs


# --- MEANTIME ------------------------------------------------------------------------------------------------------

_NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "]", "}", "%", "'s", "'", "n't", "'re", "'ve", "'ll", "'d", "'m", "’s", "’"}
_NO_SPACE_AFTER = {"(", "[", "{", "$"}
ANCHOR_RELTYPES = {"IS_INCLUDED", "SIMULTANEOUS", "DURING", "IDENTITY"}


def detokenize(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Tokens to readable text (no space before closing punctuation), with each token's (start, end)."""
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    prev = None
    for tok in tokens:
        if prev is not None and tok not in _NO_SPACE_BEFORE and prev not in _NO_SPACE_AFTER:
            parts.append(" ")
            pos += 1
        offsets.append((pos, pos + len(tok)))
        parts.append(tok)
        pos += len(tok)
        prev = tok
    return "".join(parts), offsets


def load_meantime(corpora_dir: Path) -> list[GoldDoc]:
    """MEANTIME English dev (corpus_apple, corpus_gm), text rebuilt from the tokens.

    Sentence 0 is the headline (title), sentence 1 the date line (dropped; published_at = the CREATION_TIME TIMEX3),
    the other sentences form the body, one per line. Spans: one per EVENT_MENTION outside the date line, label
    "EVENT", extra = {field: "title"|"body", pred, arg0: [text], arg1: [text], date: anchored TIMEX3 value or None,
    date_type}. The anchor is a TLINK from the event mention to a DATE/TIME TIMEX3 with reltype IS_INCLUDED /
    SIMULTANEOUS (a non-DCT anchor wins over the DCT).
    """
    root = _require(Path(corpora_dir) / "meantime-dev" / "intra-doc_annotation")
    docs: list[GoldDoc] = []
    for path in sorted(root.glob("*/*.xml")):
        doc = ET.parse(path).getroot()
        tokens = [(int(t.get("t_id")), int(t.get("sentence")), t.text or "") for t in doc.iter("token")]
        by_sentence: dict[int, list[tuple[int, str]]] = {}
        for tid, sent, word in tokens:
            by_sentence.setdefault(sent, []).append((tid, word))
        # token id -> (field, start, end)
        where: dict[int, tuple[str, int, int]] = {}
        title_tokens = by_sentence.get(0, [])
        title, offs = detokenize([w for _, w in title_tokens])
        for (tid, _), (a, b) in zip(title_tokens, offs):
            where[tid] = ("title", a, b)
        lines: list[str] = []
        pos = 0
        for sent in sorted(s for s in by_sentence if s >= 2):
            line, offs = detokenize([w for _, w in by_sentence[sent]])
            if lines:
                pos += 1
            for (tid, _), (a, b) in zip(by_sentence[sent], offs):
                where[tid] = ("body", pos + a, pos + b)
            lines.append(line)
            pos += len(line)
        body = "\n".join(lines)
        markables = doc.find("Markables")
        relations = doc.find("Relations")
        anchors: dict[str, list[int]] = {}
        timex: dict[str, dict] = {}
        events: list[str] = []
        for el in list(markables) if markables is not None else []:
            mid = el.get("m_id")
            anchors[mid] = [int(a.get("t_id")) for a in el.findall("token_anchor")]
            if el.tag == "TIMEX3":
                timex[mid] = {"type": el.get("type"), "value": el.get("value"), "dct": el.get("functionInDocument") == "CREATION_TIME"}
            elif el.tag == "EVENT_MENTION":
                events.append(mid)
        dct = next((t["value"] for t in timex.values() if t["dct"]), None)

        def text_of(mid: str) -> tuple[str, int, int] | None:
            locs = [where[t] for t in anchors.get(mid, []) if t in where]
            if not locs or len({f for f, _, _ in locs}) != 1:
                return None
            fld = locs[0][0]
            start, end = min(a for _, a, _ in locs), max(b for _, _, b in locs)
            return fld, start, end

        def slice_of(loc: tuple[str, int, int]) -> str:
            fld, a, b = loc
            return (title if fld == "title" else body)[a:b]

        participants: dict[str, dict[str, list[str]]] = {}
        dates: dict[str, list[tuple[bool, str, str]]] = {}
        for rel in list(relations) if relations is not None else []:
            src, tgt = rel.find("source"), rel.find("target")
            if src is None or tgt is None:
                continue
            s_id, t_id = src.get("m_id"), tgt.get("m_id")
            if rel.tag == "HAS_PARTICIPANT" and rel.get("sem_role") in ("Arg0", "Arg1"):
                loc = text_of(t_id)
                if loc:
                    participants.setdefault(s_id, {}).setdefault(rel.get("sem_role"), []).append(slice_of(loc))
            elif rel.tag == "TLINK" and rel.get("reltype") in ANCHOR_RELTYPES and t_id in timex:
                t = timex[t_id]
                if t["type"] in ("DATE", "TIME") and t["value"] and re.match(r"\d{4}", t["value"]):
                    dates.setdefault(s_id, []).append((t["dct"], t["value"], t["type"]))
        spans: list[Span] = []
        for mid in events:
            loc = text_of(mid)
            if loc is None:
                continue
            fld, a, b = loc
            anchored = sorted(dates.get(mid, []), key=lambda d: d[0])  # non-DCT first
            roles = participants.get(mid, {})
            spans.append(
                Span(a, b, "EVENT", None, slice_of(loc),
                     {"field": fld, "m_id": mid, "arg0": roles.get("Arg0", []), "arg1": roles.get("Arg1", []),
                      "date": anchored[0][1] if anchored else None, "date_from_dct": anchored[0][0] if anchored else None})
            )
        spans.sort(key=lambda s: (s.extra["field"] != "title", s.start, s.end))
        entities = _meantime_entities(markables, relations, text_of, slice_of, anchors, where)
        doc_id = f"{path.parent.name}/{doc.get('doc_id')}"
        check_normal(doc_id, body, title)
        published = _date(dct) or _date_line(" ".join(w for _, w in by_sentence.get(1, [])))
        docs.append(GoldDoc(doc_id, title, body, published, spans,
                            {"dct": dct, "url": doc.get("url"), "doc_name": doc.get("doc_name"), "entities": entities}))
    return docs


ENTITY_TYPES = ("PER", "ORG", "LOC")
_POSSESSIVE = {"'s", "’s", "'", "’"}


def _meantime_entities(markables, relations, text_of, slice_of, anchors, where) -> list[Span]:
    """Entity mentions of PER/ORG/LOC entity instances (through REFERS_TO), one Span each: label = the instance's
    type, extra = {field, entity (instance id), ref (DBpedia URI or None), syntactic_type (NAM, NOM, PRO, ...),
    head (start, end) of the head token: the `head` attribute's token when given, else the last word token}."""
    instances: dict[str, tuple[str, str, str | None]] = {}
    mentions: dict[str, tuple[str, str]] = {}  # m_id -> (syntactic_type, head word)
    for el in list(markables) if markables is not None else []:
        if el.tag == "ENTITY" and el.get("ent_type") in ENTITY_TYPES:
            instances[el.get("m_id")] = (el.get("instance_id"), el.get("ent_type"), el.get("external_ref") or None)
        elif el.tag == "ENTITY_MENTION":
            mentions[el.get("m_id")] = (el.get("syntactic_type") or "", el.get("head") or "")
    out: list[Span] = []
    for rel in list(relations) if relations is not None else []:
        target = rel.find("target")
        if rel.tag != "REFERS_TO" or target is None or target.get("m_id") not in instances:
            continue
        instance, etype, ref = instances[target.get("m_id")]
        for src in rel.findall("source"):
            mid = src.get("m_id")
            loc = text_of(mid) if mid in mentions else None
            if loc is None:
                continue
            syntactic, head_word = mentions[mid]
            toks = [where[t] for t in anchors[mid] if t in where]
            words = [(a, b) for _, a, b in toks if re.search(r"\w", slice_of((loc[0], a, b))) and slice_of((loc[0], a, b)) not in _POSSESSIVE]
            named = [(a, b) for a, b in words if slice_of((loc[0], a, b)) == head_word]
            head = (named or words or [(loc[1], loc[2])])[-1]
            out.append(Span(loc[1], loc[2], etype, None, slice_of(loc),
                            {"field": loc[0], "entity": instance, "ref": ref, "syntactic_type": syntactic, "head": head}))
    out.sort(key=lambda s: (s.extra["field"] != "title", s.start, s.end))
    return out
