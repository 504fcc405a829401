"""The `mentions` table: entity and date mentions of an article's title, caption and body, from spaCy Docs.

The small English model is systematically wrong in news in a few ways, corrected here by rules and gazetteers:
places tagged as organisations or people (`Crimea`), job titles tagged as organisations (`National Security
Advisor`, `State` in `Secretary of State`), leading articles and possessives inside spans, titles inside person
spans, gazetteer places the model calls people or organisations in a place context ("in Faro", datelines),
coordinated names in one span, brackets left open inside a span. No two mentions of a field overlap, and a name has
one label in an article. Names are then resolved inside the article (`Biden` -> `Joe Biden`, `U.S.` -> `United
States`, `Acme` -> `Acme Holdings PLC`, an acronym -> its expansion, with or without brackets; name forms in
`transforms.names`) and given a stable `entity_id`. Dates come from `transforms.timex`.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime

import pyarrow as pa

from newsflow.schema import MENTIONS
from transforms.gazetteer import gazetteer
from transforms.names import PERSON_TITLES, basename, STOP_INITIALS, expands, is_acronym, org_core, surname
from transforms.timex import date_mentions

FIELDS = ("title", "caption", "body")
NUMERIC = {"MONEY", "PERCENT", "CARDINAL", "ORDINAL", "QUANTITY"}
KIND = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place", "NORP": "group"}

# Head words of job titles and roles (lower case); a role phrase must contain one.
ROLE_HEADS = {
    "president", "president-elect", "vice", "minister", "premier", "chancellor", "secretary", "advisor", "adviser",
    "senator", "sen.", "governor", "gov.", "mayor", "spokesman", "spokeswoman", "spokesperson", "chief", "ceo", "director",
    "ambassador", "general", "gen.", "judge", "justice", "king", "queen", "prince", "princess", "pope", "chairman",
    "chairwoman", "chair", "leader", "commissioner", "envoy", "representative", "rep.", "speaker", "attorney", "lawyer",
    "official", "officer", "commander", "colonel", "col.", "lieutenant", "lt.", "captain", "capt.", "sergeant", "sgt.",
    "admiral", "adm.", "coach", "manager", "founder", "executive", "head", "dean", "professor", "prof.", "dr.",
    "economist", "analyst", "correspondent", "editor", "candidate", "nominee", "deputy", "treasurer", "inspector",
    "sheriff", "superintendent", "mp", "lawmaker", "legislator", "councillor", "councilman", "councilwoman", "councilor",
    "sultan", "emir", "ayatollah", "cardinal", "bishop", "rabbi", "imam", "reverend", "rev.", "prosecutor", "counsel",
    "chairperson", "vice-president", "diplomat", "negotiator", "strategist", "historian", "researcher", "scientist",
    "auditor", "comptroller", "marshal", "major", "maj.", "chancellor", "dictator", "monarch", "crown", "magistrate",
}
# Words that may stand inside a role phrase besides its head ("Deputy Foreign Minister", "Secretary of State").
ROLE_MODIFIERS = {
    "former", "acting", "interim", "deputy", "vice", "senior", "chief", "first", "prime", "foreign", "finance", "defense",
    "defence", "interior", "home", "trade", "justice", "health", "education", "energy", "economy", "economic", "labor",
    "labour", "national", "security", "state", "homeland", "treasury", "agriculture", "transport", "transportation",
    "environment", "culture", "tourism", "information", "communications", "police", "fire", "army", "navy", "military",
    "supreme", "high", "general", "executive", "operating", "financial", "technology", "press", "white", "house",
    "city", "county", "district", "federal", "regional", "provincial", "party", "opposition", "majority", "minority",
    "assistant", "associate", "under", "undersecretary", "managing", "public", "foreign-policy", "intelligence",
    "secretary-general", "of", "for", "and", "the", "affairs", "commerce", "veterans", "development", "science",
    "u.s.", "us", "u.n.", "un", "eu", "nato", "former", "then", "outgoing", "incoming", "top", "lead", "union",
}
HONORIFICS = {"mr.", "mrs.", "ms.", "mr", "mrs", "ms", "miss", "sir", "dame", "lord", "lady"}
_CREDIT = re.compile(r"/|\bvia\b|Getty|Images|AFP|Reuters|Associated Press|\bAP\b|Shutterstock|EPA|Pool", re.I)
_ACRONYM_AFTER = re.compile(r"\s*\(([A-Z][A-Za-z&.-]{1,11})\)")
_STOP_INITIALS = STOP_INITIALS
# Words before a name that make it a place: "in Faro", "residents of Faro", "between Faro and Tangier".
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|near|outside|across|around|throughout|towards|between)|\b(?:residents|people|citizens|town|city|village|"
    r"port|mayor|streets|outskirts|centre|center)\s+of)\s+$", re.I)
# A dateline: the name opens a line and is followed by a country or region and a dash, or by an agency in brackets.
_DATELINE_AFTER = re.compile(r"(?:,\s*[A-Z][\w.]*(?:\s[A-Z][\w.]*)?)?\s*(?:\([A-Za-z .]+\)\s*)?[—–-]\s")
_COORDINATED = re.compile(r",\s+(?:and\s+)?|\s+(?:and|&)\s+")
_COORDINATED_BEFORE = re.compile(r"(\b[A-Z][\w'’-]*(?:\s[A-Z][\w'’-]*)?)\s+(?:and|or)\s+$")
_SPEECH_AFTER = re.compile(r"\s+(?:also\s+|then\s+|later\s+|\w+ly\s+)?(?:said|says|told|added|asked|explained|wrote|warned)\b")


@dataclass(frozen=True)
class Mention:
    field: str
    sentence_index: int
    start: int
    end: int
    text: str
    label: str
    canonical: str | None = None
    role_title: str | None = None
    country_code: str | None = None
    normalized_value: str | None = None


def mention_id(article_id: str, m: Mention) -> str:
    return hashlib.sha256(f"{article_id}|{m.field}|{m.start}|{m.end}|{m.label}".encode()).hexdigest()[:20]


def entity_id(canonical: str, label: str) -> str:
    """Stable across runs and articles: the same canonical name and kind give the same id."""
    kind = KIND.get(label, "misc")
    return hashlib.sha256(f"{kind}|{canonical.casefold()}".encode()).hexdigest()[:16]


def mention_entity_id(m: Mention) -> str | None:
    """The entity id a mention carries (null for dates, times and numbers): what quotes and events link to."""
    if m.label in NUMERIC or m.label in ("DATE", "TIME"):
        return None
    return entity_id(m.canonical or m.text, m.label)


# Where `parse_fields` keeps, on each Doc, the text it parsed: `Doc.text` is rebuilt from every token on each
# access (a Token object per token: about 3% of the extraction rules' time over Reuters).
MODEL_TEXT = "newsflow.model_text"


def model_text(doc) -> str:
    """The text `doc` was parsed from (the same as `doc.text`), without rebuilding it when `parse_fields` kept it."""
    text = doc.user_data.get(MODEL_TEXT)
    return doc.text if text is None else text


def article_mentions(docs: dict, anchor: datetime | date | None, originals: dict | None = None) -> list[Mention]:
    """Mentions of one article from its Docs by field ({'title': Doc, 'caption': Doc, 'body': Doc}); `originals`
    holds the field texts when the Docs were made from a re-cased copy (`case_for_ner`)."""
    raw: list[Mention] = []
    model_texts = {f: model_text(doc) for f, doc in docs.items() if doc is not None}
    texts = {f: (originals or {}).get(f) or model_texts[f] for f in model_texts}
    starts = {f: [s.start_char for s in docs[f].sents] for f in model_texts}
    for field in FIELDS:
        if not model_texts.get(field):
            continue
        doc, text = docs[field], texts[field]
        sent = lambda start: _sentence_of(starts[field], start)  # noqa: E731
        entities = _entities(doc, model_texts[field])
        for d in date_mentions(doc, anchor, model_texts[field]):
            raw.append(Mention(field, sent(d.start), d.start, d.end, text[d.start : d.end], d.label, normalized_value=d.value))
        taken = [(m.start, m.end) for m in raw if m.field == field]
        for m in entities:
            if not any(m.start < e and s < m.end for s, e in taken):
                raw.append(replace(m, field=field, sentence_index=sent(m.start), text=text[m.start : m.end]))
    raw += _propagate(raw, texts, starts)
    return _resolve(raw, texts)


class _Spans:
    """Character spans (start, end), asked whether a span overlaps one of them. Kept sorted by start, so that only
    the spans starting less than the longest one's length before the asked span (and before its end) are looked
    at: any span overlapping it starts there. A long field holds hundreds of mentions and name forms."""

    def __init__(self, spans=()):
        self.spans = sorted(spans)
        self.longest = max((e - s for s, e in self.spans), default=0)

    def add(self, start: int, end: int) -> None:
        bisect.insort(self.spans, (start, end))
        self.longest = max(self.longest, end - start)

    def overlaps(self, start: int, end: int) -> bool:
        lo = bisect.bisect_left(self.spans, (start - self.longest,))
        hi = bisect.bisect_left(self.spans, (end,))
        return any(s < end and start < e for s, e in self.spans[lo:hi])


def _sentence_of(sentence_starts: list[int], start: int) -> int:
    return max(0, bisect.bisect_right(sentence_starts, start) - 1)


_PROPAGATE = ("PERSON", "ORG", "GPE", "LOC", "NORP")


def _propagate(found: list[Mention], texts: dict, sentence_starts: dict) -> list[Mention]:
    """A name the model tagged once is the same name wherever else it stands untagged in the article; a tagged
    full name also lends its label to its surname standing alone ("Alexander Lebed" ... "Lebed")."""
    forms: dict[str, Mention] = {}
    for m in found:
        if m.label in _PROPAGATE and len(m.text) >= 3 and m.text[:1].isupper():
            forms.setdefault(m.text, m)
            if m.label == "PERSON" and len(m.text.split()) >= 2:
                last = m.text.split()[-1]
                if len(last) >= 3 and last[:1].isupper():
                    forms.setdefault(last, m)
    if not forms:
        return []
    added = []
    for field, text in texts.items():
        covered = _Spans((m.start, m.end) for m in found if m.field == field)
        for form in sorted(forms, key=len, reverse=True):  # longer names first: "Kent County" before "Kent"
            s = text.find(form)
            while s >= 0:
                e = s + len(form)
                whole_word = (s == 0 or not (text[s - 1].isalnum() or text[s - 1] in ".-")) and (e == len(text) or not (text[e].isalnum() or text[e] == "-"))
                if whole_word and not covered.overlaps(s, e):
                    src = forms[form]
                    added.append(Mention(field, _sentence_of(sentence_starts[field], s), s, e, form, src.label, src.canonical if form == src.text else None, None, src.country_code))
                    covered.add(s, e)
                s = text.find(form, e)
    return added


def _entities(doc, doc_text: str) -> list[Mention]:
    """spaCy entities other than dates, cleaned and relabelled; job-title mentions dropped, roles attached."""
    gaz = gazetteer()
    out: list[Mention] = []
    for ent in doc.ents:
        if ent.label_ in ("DATE", "TIME"):
            continue
        span = _trim(doc, ent.start, ent.end, ent.label_)
        if span is None:
            continue
        start_tok, end_tok, label = span
        role = None
        if label == "PERSON":
            start_tok, role = _split_title(doc, start_tok, end_tok)
            if start_tok >= end_tok:
                continue
        s_char, e_char = doc[start_tok].idx, doc[end_tok - 1].idx + len(doc[end_tok - 1].text)
        text = doc_text[s_char:e_char]
        if text.count("(") > text.count(")"):  # "World Health Organization (WHO", "National Party(BNP"
            text = text[: text.index("(")].rstrip()
            e_char = s_char + len(text)
            if not text:
                continue
        if label in ("ORG", "PERSON", "FAC", "NORP", "GPE", "LOC") and _is_role_phrase(doc, start_tok, end_tok):
            continue  # "National Security Advisor", "State" of "Secretary of State"
        if label == "PERSON" and _CREDIT.search(text):
            continue  # a photo credit, not a person
        country = None
        place = gaz.place(text) if label in ("ORG", "PERSON", "GPE", "LOC", "FAC", "NORP") else None
        canonical = None
        if place is not None and (label in ("GPE", "LOC") or _looks_like_place(label, place, text)):
            country, canonical = place.country, place.canonical
            if place.kind in ("country", "state"):
                label = "GPE"
            elif label not in ("GPE", "LOC"):
                label = place.label
        elif label == "NORP":
            dem = gaz.demonym(text)
            if dem:
                canonical, country = dem
        if label == "PERSON" and role is None:
            role = _role_before(doc, start_tok) or _apposition_role(doc, start_tok, end_tok)
        elif label in ("PRODUCT", "WORK_OF_ART", "FAC") and place is None and 2 <= end_tok - start_tok <= 3 and all(t.is_title for t in doc[start_tok:end_tok]):
            # "Miguel Costa, the mayor, ...": a two- or three-word name with a job title beside it is a person.
            role = _apposition_role(doc, start_tok, end_tok) or _role_before(doc, start_tok)
            label = "PERSON" if role else label
        out.append(
            Mention("", 0, s_char, e_char, text, label, canonical, role, country)
        )
    out = _absorb_suffixes(doc_text, _split_coordinated(doc_text, out))
    out = _expansions(doc_text, out)
    out += _missing_acronyms(doc_text, out)
    out += _missing_countries(doc, doc_text, out)
    return _sports_teams(doc_text, sorted(out, key=lambda x: x.start))


# A results or standings line: "Leeds 2 Chelsea 1", "Leeds 3 2 1 0 5 3 7", "Leeds 21 Bath 9 ( halftime ... )".
_NAME = r"[A-Z][A-Za-z.'’&-]*(?: [A-Z][A-Za-z.'’&-]*){0,3}"
_RESULT_LINE = re.compile(rf"^(?P<a>{_NAME})(?: \( ?\w+ ?\))? \d+ (?P<b>{_NAME})(?: \( ?\w+ ?\))? \d+(?: \(.*\))?$", re.M)
_STANDING_LINE = re.compile(rf"^(?P<a>{_NAME})(?: \d+){{3,}}", re.M)
_BEAT = re.compile(rf"(?P<a>{_NAME}) (?:beat|beats|defeated|defeats|thrashed|routed|edged|blanked|drew with|lost to|held) (?P<b>{_NAME})")


def _sports_teams(text: str, found: list[Mention]) -> list[Mention]:
    """In results and standings lines and in "X beat Y", a place or person name that is not a country is a team
    (ORG): "Surrey 4 Kent 2", "CHICAGO 72 64 .529", "Leicestershire beat Somerset"."""
    teams: set[tuple[int, int]] = set()
    for rx in (_RESULT_LINE, _STANDING_LINE):
        for m in rx.finditer(text):
            for g in ("a", "b"):
                if rx.groupindex.get(g) and m.group(g):
                    teams.add((m.start(g), m.end(g)))
    # "Leicestershire beat Somerset": places that beat each other are teams; people who beat each other stay people.
    place_teams = {(m.start(g), m.end(g)) for m in _BEAT.finditer(text) for g in ("a", "b")}
    if not teams and not place_teams:
        return found
    gaz = gazetteer()
    out = []
    # A span the model drew across a whole results line ("Surrey 4 Kent 2") gives way to the teams in it.
    found = [x for x in found if not any(x.start <= a and b <= x.end and (a, b) != (x.start, x.end) for a, b in teams)]
    covered = [(x.start, x.end) for x in found]
    for start, end in sorted(teams):
        if not any(a < end and start < b for a, b in covered):
            name = text[start:end]
            place = gaz.place(name)
            if place is not None and place.kind == "country":
                found.append(Mention("", 0, start, end, name, "GPE", place.canonical, None, place.country))
            else:
                found.append(Mention("", 0, start, end, name, "ORG"))
    for x in sorted(found, key=lambda m: m.start):
        relabel = ("GPE", "LOC", "PERSON", "NORP", "FAC", "PRODUCT", "WORK_OF_ART") if (x.start, x.end) in teams else ("GPE", "LOC", "FAC", "NORP")
        if ((x.start, x.end) in teams or (x.start, x.end) in place_teams) and x.label in relabel:
            place = gaz.place(x.text)
            if place is None or place.kind != "country":
                x = replace(x, label="ORG", canonical=None, country_code=None, role_title=None)
        out.append(x)
    return out


# Country names that are also common names or words; the model's reading of them is kept.
_AMBIGUOUS_COUNTRIES = {"jordan", "georgia", "chad", "guinea", "us", "turkey", "dominica", "china", "japan", "congo"}


def place_context(text: str, start: int, end: int) -> bool:
    """The words around a name make it a place: "in X", "residents of X", "between X and Y", a dateline."""
    before = text[max(0, start - 40) : start]
    if _PLACE_BEFORE.search(before):
        return True
    line_start = start == 0 or text[start - 1] == "\n"
    if line_start and _DATELINE_AFTER.match(text, end):
        return True
    # The second of two coordinated names whose first is a place in context: "between Faro and Tangier".
    m = _COORDINATED_BEFORE.search(before)
    return bool(m) and _PLACE_BEFORE.search(before[: m.start(1)]) is not None and gazetteer().place(m.group(1)) is not None


_SUFFIX_AFTER = re.compile(r",?\s(?:[A-Z][A-Za-z]{0,4}\.?){1,3}(?=\W|$)")


def _absorb_suffixes(text: str, found: list[Mention]) -> list[Mention]:
    """A legal suffix the model left outside an organisation's span ("Chrysler" + "LLC") joins the span."""
    out = []
    for m in found:
        after = _SUFFIX_AFTER.match(text, m.end) if m.label == "ORG" else None
        if after:
            longer = text[m.start : after.end()]
            if org_core(longer) == org_core(m.text) and basename(longer) != longer:
                m = replace(m, end=after.end(), text=longer)
        out.append(m)
    return out


def _split_coordinated(text: str, found: list[Mention]) -> list[Mention]:
    """One span over coordinated names ("Faro and Tangier") becomes one mention per name when every part is a
    place from the gazetteer, or, for people, a full name of its own ("Ana Ruiz and Tom Lee")."""
    gaz = gazetteer()
    out = []
    for m in found:
        if m.label not in ("PERSON", "ORG", "GPE", "LOC", "FAC") or not _COORDINATED.search(m.text):
            out.append(m)
            continue
        parts, pos = [], 0
        for sep in _COORDINATED.finditer(m.text):
            parts.append((pos, sep.start()))
            pos = sep.end()
        parts.append((pos, len(m.text)))
        names = [m.text[a:b] for a, b in parts]
        places = [gaz.place(n) for n in names]
        if all(places) and all(n[:1].isupper() for n in names):
            out += [Mention("", 0, m.start + a, m.start + b, n, p.label if p.kind not in ("country", "state") else "GPE", p.canonical, None, p.country)
                    for (a, b), n, p in zip(parts, names, places)]
        elif m.label == "PERSON" and all(len(n.split()) >= 2 and all(w[:1].isupper() for w in n.split()) for n in names):
            out += [Mention("", 0, m.start + a, m.start + b, n, "PERSON", None, m.role_title if i == 0 else None)
                    for i, ((a, b), n) in enumerate(zip(parts, names))]
        else:
            out.append(m)
    return out


def _missing_countries(doc, text: str, found: list[Mention]) -> list[Mention]:
    """Countries and well-known regions the model left untagged (datelines, lists of results) become GPE/LOC, and
    so do cities and states in a place context ("in Faro", "FARO, Portugal —")."""
    gaz = gazetteer()
    covered = [(m.start, m.end) for m in found]
    # Token offsets and capitalised words (alphabetic, title case or capitals) from one array, and only the
    # capitalised words outside the model's entities looked at: Token objects and per-token tuples are costly to make.
    import numpy as np
    from spacy.attrs import ENT_TYPE, IDX, IS_ALPHA, IS_TITLE, IS_UPPER, LENGTH

    arr = doc.to_array([IDX, LENGTH, IS_ALPHA, IS_TITLE, IS_UPPER, ENT_TYPE])
    starts, ends = arr[:, 0].tolist(), (arr[:, 0] + arr[:, 1]).tolist()
    capital = (arr[:, 2] != 0) & ((arr[:, 3] != 0) | (arr[:, 4] != 0))
    firsts = np.flatnonzero(capital & (arr[:, 5] == 0)).tolist()
    capital = capital.tolist()
    extra = []
    resume = 0  # the token after the last place found
    for i in firsts:
        if i < resume:
            continue
        hit = None
        for n in (3, 2, 1):
            last = i + n - 1
            if last >= len(capital) or not capital[last] or not all(capital[j] or not text[starts[j] : ends[j]].isalpha() for j in range(i, last + 1)):
                continue
            name = text[starts[i] : ends[last]]
            place = gaz.place(name)
            if place is None or name.lower() in _AMBIGUOUS_COUNTRIES:
                continue
            if place.kind in ("country", "region") or place_context(text, starts[i], ends[last]):
                hit = (name, starts[i], ends[last], n, place)
                break
        if hit:
            name, s, e, n, place = hit
            if not any(a < e and s < b for a, b in covered):
                extra.append(Mention("", 0, s, e, name, place.label, place.canonical, None, place.country))
            resume = i + n
    return extra


def _expansions(text: str, found: list[Mention]) -> list[Mention]:
    """ "Organization for Security and Co-operation in Europe (OSCE)": the words whose initials spell the acronym
    in parentheses are one ORG, even where the model cut them into an ORG and a place."""
    out = list(found)
    for m in _ACRONYM_AFTER.finditer(text):
        letters = re.sub(r"[^A-Z]", "", m.group(1))
        if len(letters) < 2:
            continue
        words = list(re.finditer(r"\S+", text[max(0, m.start() - 200) : m.start()]))
        offset = max(0, m.start() - 200)
        initials, start = "", None
        for w in reversed(words):
            token = w.group(0).strip(",;:")
            if token.lower() in _STOP_INITIALS:
                continue
            if not token[:1].isupper():
                break
            initials = token[0] + initials
            start = offset + w.start()
            if len(initials) >= len(letters):
                break
        if start is None or initials != letters:
            continue
        end = m.start()
        while end > start and text[end - 1] in " ,;:":
            end -= 1
        inside = [x for x in out if x.start >= start and x.end <= end]
        if any(x.label == "ORG" for x in inside) or not inside:
            # Spans inside the expansion, and ORG spans reaching into it from before ("the US Securities Exchange
            # Commission" before "(SEC)"), give way to it.
            out = [x for x in out if not (x.start >= start and x.end <= end) and not (x.label == "ORG" and x.start < start < x.end <= end)]
            out.append(Mention("", 0, start, end, text[start:end], "ORG"))
    return sorted(out, key=lambda x: x.start)


def _trim(doc, start: int, end: int, label: str):
    """Drop leading articles and trailing possessives/punctuation from an entity span, and the white space a line
    break leaves after an article ("the\nWashington Public Power Supply System")."""
    while start < end and (doc[start].is_space or doc[start].lower_ in ("the", "a", "an") and label not in ("WORK_OF_ART", "LAW", "EVENT")):
        start += 1
    while end > start and (doc[end - 1].is_space or doc[end - 1].text in ("'s", "’s", "'", "’") or doc[end - 1].is_punct and doc[end - 1].text not in (".",)):
        end -= 1
    if start >= end:
        return None
    return start, end, label


def _split_title(doc, start: int, end: int) -> tuple[int, str | None]:
    """Move role words at the front of a PERSON span ("President Biden") out of the name."""
    i = start
    while i < end - 1 and (doc[i].lower_ in ROLE_HEADS or doc[i].lower_ in ROLE_MODIFIERS - {"of", "for", "and", "the"}
                           or doc[i].lower_ in HONORIFICS or (i < end - 2 and doc[i].is_title and doc[i].lower_.rstrip(".") in PERSON_TITLES)):
        i += 1
    if i == start:
        return start, None
    words = [t for t in doc[start:i] if t.lower_ not in HONORIFICS]
    role = " ".join(t.text for t in words) if any(t.lower_ in ROLE_HEADS or t.lower_.rstrip(".") in PERSON_TITLES for t in words) else None
    before = _role_before(doc, start)
    if before and role:
        role = f"{before} {role}"
    return i, role or before


def _is_role_phrase(doc, start: int, end: int) -> bool:
    tokens = doc[start:end]
    words = [t.lower_ for t in tokens]
    if not all(w in ROLE_HEADS or w in ROLE_MODIFIERS for w in words):
        return False
    if any(w in ROLE_HEADS for w in words):
        return True
    # "State" in "Secretary of State": a modifier right after "<head> of".
    return start >= 2 and doc[start - 1].lower_ == "of" and doc[start - 2].lower_ in ROLE_HEADS


def _role_before(doc, start: int) -> str | None:
    """The title right before a name: "Russian President", "Secretary of State", "National Security Advisor"."""
    sent_start = doc[start].sent.start
    i = start - 1
    while i >= sent_start:
        t = doc[i]
        lw = t.lower_
        if lw in ROLE_HEADS or (lw in ROLE_MODIFIERS and (t.is_title or t.is_upper or lw in ("of", "for", "and"))):
            i -= 1
            continue
        if t.ent_type_ in ("NORP", "GPE") and i + 1 < start and doc[i + 1].lower_ in ROLE_HEADS | ROLE_MODIFIERS:
            i -= 1
            continue
        break
    j = i + 1
    while j < start and doc[j].lower_ in ("of", "for", "and", "the"):
        j += 1
    if j >= start:
        return None
    words = doc[j:start]
    if not any(t.lower_ in ROLE_HEADS for t in words):
        return None
    if not (words[0].is_title or words[0].is_upper):
        return None
    return words.text


def _apposition_role(doc, start: int, end: int) -> str | None:
    """ "Jake Sullivan, the national security adviser, ..." -> "national security adviser"."""
    if end + 2 >= len(doc) or doc[end].text != ",":
        return None
    for t in doc[end + 1 : min(len(doc), end + 10)]:
        if t.dep_ == "appos" and start <= t.head.i < end:
            sub = doc[t.left_edge.i : t.right_edge.i + 1]
            words = [w for w in sub if w.lower_ not in ("the", "a", "an")]
            if words and len(words) <= 8 and any(w.lower_ in ROLE_HEADS for w in words):
                first = words[0].i
                last = words[-1].i
                while last > first and doc[last].is_punct:
                    last -= 1
                return doc[first : last + 1].text
            return None
        if t.text in (",", ".", ";"):
            break
    return None


def _looks_like_place(label: str, place, text: str) -> bool:
    """A gazetteer hit relabels an ORG/PERSON/NORP span only for countries, regions and states, or cities whose name is
    not a common surname pattern (single-token PERSON spans that are city names stay people)."""
    if label == "PERSON":
        return place.kind == "region"  # "Jordan", "Washington", "Georgia" tagged as people usually are people
    if place.kind in ("country", "region", "state"):
        return label != "NORP" or text.lower() == place.canonical.lower()
    return label == "ORG" and gazetteer().city_population.get(text.lower(), 0) >= 500_000


def _missing_acronyms(text: str, found: list[Mention]) -> list[Mention]:
    """An acronym in parentheses right after an ORG ("... in Europe (OSCE)") is an ORG mention too."""
    extra = []
    spans = {(m.start, m.end) for m in found}
    for m in found:
        if m.label != "ORG":
            continue
        after = _ACRONYM_AFTER.match(text, m.end)
        if after and _acronym_of(after.group(1), m.text) and (after.start(1), after.end(1)) not in spans:
            extra.append(Mention("", 0, after.start(1), after.end(1), after.group(1), "ORG"))
            spans.add((after.start(1), after.end(1)))  # two names before one acronym give it once
    return extra


def _acronym_of(acronym: str, name: str) -> bool:
    letters = re.sub(r"[^A-Z]", "", acronym.upper())
    words = [w for w in re.split(r"[\s-]+", name) if w and w.lower() not in _STOP_INITIALS]
    initials = "".join(w[0].upper() for w in words if w[0].isalpha())
    if len(letters) < 2:
        return False
    if letters == initials:
        return True
    it = iter(initials)
    return all(ch in it for ch in letters) and letters[0] == initials[:1]


def _no_overlaps(mentions: list[Mention]) -> list[Mention]:
    """No two mentions of a field overlap: dates and numbers keep their place, then the longer name wins (the
    earlier one on a tie). Exact repeats of a span collapse into one."""
    order = sorted(mentions, key=lambda m: (m.label not in NUMERIC and m.label not in ("DATE", "TIME"), -(m.end - m.start), FIELDS.index(m.field), m.start))
    # The kept spans of a field, sorted. No two of them overlap, so each ends before the next starts (or both are
    # empty at one place): of those starting before a span's end, only the last one can reach into it.
    kept: dict[str, list[tuple[int, int]]] = {}
    out = []
    for m in order:
        spans = kept.setdefault(m.field, [])
        k = bisect.bisect_left(spans, (m.end,)) - 1
        if k < 0 or spans[k][1] <= m.start:
            bisect.insort(spans, (m.start, m.end))
            out.append(m)
    return sorted(out, key=lambda m: (FIELDS.index(m.field), m.start, m.end))


def _consistent_labels(mentions: list[Mention], texts: dict[str, str]) -> list[Mention]:
    """One name, one label inside an article. A gazetteer place standing once in a place context ("in Faro",
    "residents of Faro", a dateline) is that place wherever it stands in the article; otherwise the model's
    majority reading wins (first seen on a tie)."""
    gaz = gazetteer()
    places: dict[str, object] = {}
    for m in mentions:
        if m.label in ("PERSON", "ORG", "GPE", "LOC") and m.text not in places and m.text[:1].isupper():
            place = gaz.place(m.text)
            if place is not None and place_context(texts[m.field], m.start, m.end):
                places[m.text] = place
    votes: dict[str, dict[str, int]] = {}
    for m in mentions:
        if m.label in _PROPAGATE:
            votes.setdefault(m.text, {}).setdefault(m.label, 0)
            votes[m.text][m.label] += 1
    out = []
    for m in mentions:
        place = places.get(m.text)
        ballot = votes.get(m.text)
        if place is not None and m.label in ("PERSON", "ORG", "GPE", "LOC"):
            label = m.label if m.label in ("GPE", "LOC") else ("GPE" if place.kind in ("country", "state", "city") else place.label)
            m = replace(m, label=label, canonical=place.canonical, country_code=place.country, role_title=None)
        elif ballot and len(ballot) > 1 and m.label in ballot:
            best = max(ballot, key=lambda label: ballot[label])
            if best != m.label and ballot[best] > ballot[m.label]:
                m = replace(m, label=best, canonical=None if best != "GPE" and best != "LOC" else m.canonical)
        out.append(m)
    return out


def _resolve(mentions: list[Mention], docs: dict[str, str]) -> list[Mention]:
    """Canonical names inside the article: surnames to full names, short and suffix-free organisation names and
    acronyms to the full name, roles shared."""
    mentions = _consistent_labels(_no_overlaps(mentions), docs)
    full_names = []
    for m in mentions:
        if m.label == "PERSON" and len(m.text.split()) >= 2 and m.text not in full_names:
            full_names.append(m.text)
    mentions = _surnames_as_people(mentions, docs, full_names)
    mentions = _short_forms_as_orgs(mentions)
    acronyms: dict[str, str] = {}
    for m in mentions:
        if m.label != "ORG" or m.field not in docs:
            continue
        after = _ACRONYM_AFTER.match(docs[m.field], m.end)
        if after and _acronym_of(after.group(1), m.text):
            acronyms.setdefault(after.group(1), m.text)
    org_names = _org_names(mentions, acronyms)
    resolved: list[Mention] = []
    for m in mentions:
        canonical = m.canonical
        if m.label in NUMERIC or m.label in ("DATE", "TIME"):
            resolved.append(m)
            continue
        if m.label == "PERSON" and canonical is None:
            canonical = _full_name(m.text, full_names)
        elif m.label == "ORG":
            canonical = org_names.get(m.text, canonical)
        resolved.append(replace(m, canonical=canonical or m.text))
    # A role seen once is the role of every mention of the same person in the article.
    roles: dict[str, str] = {}
    for m in resolved:
        if m.label == "PERSON" and m.role_title:
            roles.setdefault(m.canonical, m.role_title)
    return [replace(m, role_title=roles.get(m.canonical)) if m.label == "PERSON" and not m.role_title and m.canonical in roles else m for m in resolved]


def _surnames_as_people(mentions: list[Mention], docs: dict[str, str], full_names: list[str]) -> list[Mention]:
    """A lone word the model tagged as a place or group that is the surname of one person named in the article
    ("...," Costa said, after "Miguel Costa") is that person, in every mention outside a place context; a word
    tagged ORG only when a speech verb follows it once."""
    by_surname: dict[str, set[str]] = {}
    for name in full_names:
        by_surname.setdefault(surname(name), set()).add(name)
    if not by_surname:
        return mentions
    gaz = gazetteer()
    people: dict[str, str] = {}
    for m in mentions:
        names = by_surname.get(m.text)
        if names and len(names) == 1 and m.label in ("GPE", "LOC", "NORP", "FAC", "ORG", "PERSON") and " " not in m.text and m.text not in people:
            place = gaz.place(m.text)
            text = docs[m.field]
            if (m.label not in ("ORG", "PERSON") or _SPEECH_AFTER.match(text, m.end)) and not place_context(text, m.start, m.end) and \
                    not (place is not None and place.kind == "country"):
                people[m.text] = next(iter(names))
    if not people:
        return mentions
    return [replace(m, label="PERSON", canonical=people[m.text], country_code=None)
            if m.text in people and m.label in ("GPE", "LOC", "NORP", "FAC", "ORG") and not place_context(docs[m.field], m.start, m.end) else m
            for m in mentions]


def _short_forms_as_orgs(mentions: list[Mention]) -> list[Mention]:
    """A name that is the core of an organisation named in full in the article ("Acme" after "Acme Holdings PLC")
    is that organisation, whatever label the model gave it."""
    cores = {org_core(m.text) for m in mentions if m.label == "ORG" and len(m.text.split()) >= 2}
    cores.discard("")
    if not cores:
        return mentions
    return [replace(m, label="ORG", canonical=None, country_code=None, role_title=None)
            if m.label in ("PERSON", "GPE", "LOC", "NORP", "FAC", "PRODUCT") and m.text in cores and " " not in m.text else m for m in mentions]


def _org_names(mentions: list[Mention], acronyms: dict[str, str]) -> dict[str, str]:
    """Each ORG name of the article -> its fullest form: names with one core (legal suffix and descriptive closing
    words aside: "Acme Holdings PLC" / "Acme", "Harbourline Ferries" / "Harbourline") are one organisation named by
    the longest of them (the first on a tie); an acronym is the one organisation whose initials it spells, with
    or without a parenthesised introduction."""
    names: list[str] = []
    for m in mentions:
        if m.label == "ORG" and m.text not in names:
            names.append(m.text)
    groups: dict[str, list[str]] = {}
    for name in names:
        if not is_acronym(name):
            groups.setdefault(org_core(name).casefold(), []).append(name)
    fullest = {core: max(group, key=lambda n: (len(n.split()), -group.index(n))) for core, group in groups.items()}
    out = {name: fullest[org_core(name).casefold()] for name in names if not is_acronym(name)}
    for name in names:
        if not is_acronym(name):
            continue
        if name in acronyms:
            out[name] = out.get(acronyms[name], acronyms[name])
            continue
        if name.casefold() in fullest:  # "NPD" beside "NPD Group"
            out[name] = fullest[name.casefold()]
            continue
        expansions = {fullest[org_core(n).casefold()] for n in names if not is_acronym(n) and expands(name, n)}
        if len(expansions) == 1:
            out[name] = expansions.pop()
    return out


def _full_name(name: str, full_names: list[str]) -> str:
    parts = name.split()
    candidates = [f for f in full_names if f != name and (f.split()[-len(parts):] == parts or (len(parts) == 1 and (f.split()[0] == name or surname(f) == name)))]
    distinct = sorted(set(candidates), key=full_names.index)
    if len(distinct) == 1 or (distinct and all(distinct[0] in d or d in distinct[0] for d in distinct)):
        return max(distinct, key=len) if len(distinct) > 1 else distinct[0]
    return name


@dataclass(frozen=True)
class ArticleText:
    article_id: str
    title: str
    caption: str | None
    body: str
    published_at: datetime | None


def mentions_for_articles(nlp, articles: list[ArticleText], batch_size: int = 64) -> list[tuple[str, list[Mention]]]:
    """Run the given spaCy pipeline over each article's fields and collect its mentions."""
    from transforms.extraction import extract_articles

    return [(r.article_id, r.mentions) for r in extract_articles(nlp, articles, batch_size)]


_CAPS_LINE = re.compile(r"^[^a-z\n]*[A-Z]{2}[^a-z\n]*$", re.M)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_INFLECTED = re.compile(r"[a-z](?:s|ed|ing)$")
_SENTENCE_START = re.compile(r"(?:^|[.!?:\"“”]\s+|\n)$")


def case_for_ner(text: str, context: str | None = None) -> str:
    """The text the model reads: lines in capitals (headlines, datelines) in title case, which the model tags far
    better, and a headline in Title Case (`context` = the article body) in the case its words have in the body, so
    the model reads it as prose ("Harbour Board approves new ferry terminal"). Same length, character for
    character, so offsets and mention text come from the original."""
    def title(m: re.Match) -> str:
        line = m.group(0)
        cased = re.sub(r"[A-Za-z]+", lambda w: w.group(0)[0] + w.group(0)[1:].lower() if len(w.group(0)) > 1 else w.group(0), line)
        return cased if len(cased) == len(line) else line

    text = _CAPS_LINE.sub(title, text)
    return _prose_case(text, context) if context is not None and "\n" not in text.strip() else text


def _prose_case(line: str, context: str) -> str:
    """A Title Case headline with its common words lower-cased: a word goes lower case when the body writes it
    lower case more often than capitalised mid-sentence (the word itself, else any word with its first five
    letters: "Rejects" / "rejected"); function words and inflected words ("Goes", "Approved") the body does not use
    go lower case too: a name in a headline is almost always named again in the body."""
    from spacy.lang.en.stop_words import STOP_WORDS

    words = list(_WORD.finditer(line))
    long = [w.group(0) for w in words if len(w.group(0)) >= 4]
    if len(words) < 4 or not long or sum(w[0].isupper() for w in long) < 0.8 * len(long):
        return line
    seen: dict[str, list[int]] = {}
    for w in _WORD.finditer(context):
        word = w.group(0)
        if word[0].islower():
            column = 0
        elif w.start() > 0 and not _SENTENCE_START.search(context[max(0, w.start() - 3) : w.start()]):
            column = 1
        else:
            continue
        for key in {word.lower(), word.lower()[:5] + "*"}:
            seen.setdefault(key, [0, 0])[column] += 1
    chars = list(line)
    for w in words[1:]:
        word = w.group(0)
        if not word[0].isupper() or word.isupper():
            continue
        lower, capital = seen.get(word.lower()) or seen.get(word.lower()[:5] + "*") or (0, 0)
        unseen = lower == capital == 0
        if lower > capital or (unseen and (word.lower() in STOP_WORDS or _INFLECTED.search(word))):
            low = word[0].lower()
            if len(low) == 1:
                chars[w.start()] = low
    return "".join(chars)


def build_mentions(rows: list[tuple[str, list[Mention]]]) -> pa.Table:
    """(article_id, mentions) pairs to the `mentions` table."""
    cols: dict[str, list] = {name: [] for name in MENTIONS.names}
    for article_id, mentions in rows:
        for m in mentions:
            eid = mention_entity_id(m)
            values = {
                "mention_id": mention_id(article_id, m),
                "article_id": article_id,
                "field": m.field,
                "sentence_index": m.sentence_index,
                "start_char": m.start,
                "end_char": m.end,
                "text": m.text,
                "label": m.label,
                "entity_id": eid,
                "canonical_name": (m.canonical or m.text) if eid else None,
                "role_title": m.role_title,
                "country_code": m.country_code,
                "normalized_value": m.normalized_value,
            }
            for name in MENTIONS.names:
                cols[name].append(values[name])
    return pa.Table.from_pydict(cols, schema=MENTIONS)
