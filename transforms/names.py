"""Name forms shared by in-article resolution (`transforms.mentions`) and cross-article consolidation
(`transforms.entities`): an organisation's core name without legal suffix (cleanco) and descriptive closing words,
acronyms and their expansions, and a person's surname (nameparser)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from cleanco import basename as _cleanco_basename
from nameparser import HumanName
from nameparser.config import CONSTANTS

from transforms.memo import memo

# Words an acronym skips ("Organization for Security and Co-operation in Europe" -> OSCE).
STOP_INITIALS = {"for", "and", "of", "in", "the", "on", "to", "de", "du", "la", "des", "&"}
_ACRONYM = re.compile(r"^(?:[A-Z]\.?){2,8}$|^[A-Z][A-Z&]{1,7}$")
# Person titles nameparser knows (Dr, Sheikh, Governor, Bishop, ...), lower case, without dots.
PERSON_TITLES = frozenset(t.replace(".", "") for t in CONSTANTS.titles)
_SPECIAL = PERSON_TITLES | frozenset(w.replace(".", "") for w in (*CONSTANTS.suffix_acronyms, *CONSTANTS.suffix_not_acronyms, *CONSTANTS.prefixes))


@lru_cache(maxsize=1)
def _legal_words() -> frozenset[str]:
    from cleanco import prepare_default_terms

    return frozenset(word for _, words in prepare_default_terms() for word in words)


@memo
def basename(name: str) -> str:
    """cleanco's name without legal suffix ("Siemens AG" -> "Siemens"); names whose last word is in none of
    cleanco's terms skip it (most names: cleanco tries each of its terms in turn)."""
    words = name.split()
    if not words or re.sub(r"[^\w&/]", "", words[-1].lower()) not in _legal_words():
        return name.strip()
    return _cleanco_basename(name)


def lexicon(name: str) -> list[str]:
    """A shipped word list: one entry a line, `#` comments."""
    text = resources.files("transforms").joinpath(f"lexicons/{name}").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def org_words() -> frozenset[str]:
    return frozenset(lexicon("org_words.txt"))


def english_stop_words() -> frozenset[str]:
    """spaCy's English stop words. The flow's process consolidates entities but never parses: there they are read
    from spaCy's own module file, without importing spaCy (1.5 s at the end of a run)."""
    import sys

    if "spacy" in sys.modules:
        from spacy.lang.en.stop_words import STOP_WORDS

        return frozenset(STOP_WORDS)
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("spacy")
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / "en" / "stop_words.py"
    namespace: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # a module of one set, no imports
    return frozenset(namespace["STOP_WORDS"])


@lru_cache(maxsize=1)
def generic_leads() -> frozenset[str]:
    from transforms.gazetteer import DEMONYMS

    return frozenset(w.lower() for w in lexicon("generic_leads.txt")) | frozenset(DEMONYMS) | english_stop_words()


@memo
def org_core(name: str) -> str:
    """ "Acme Holdings PLC" -> "Acme", "Ford Motor Company" -> "Ford", "Apple Inc." -> "Apple": the name without its
    legal suffix (cleanco) and closing descriptive words (lexicon). A core that would be one generic word or a
    country ("General Motors", "British Airways", "China Airlines") keeps the next word."""
    name = re.sub(r"^[Tt]he\s+", "", name.strip())
    core = basename(name) or name
    words = core.split()
    while len(words) > 1 and words[-1] in org_words():
        if len(words) == 2 and (words[0].lower() in generic_leads() or _is_country(words[0])):
            break
        words.pop()
    return " ".join(words) if words else name


def _is_country(word: str) -> bool:
    from transforms.gazetteer import gazetteer

    return gazetteer().area(word) is not None


def is_acronym(text: str) -> bool:
    return bool(_ACRONYM.match(text))


@memo
def initials(name: str) -> str:
    """Capital initials of a name's words, small words skipped: "Federal Aviation Administration" -> "FAA"."""
    words = [w for w in re.split(r"[\s-]+", basename(name) or name) if w and w.lower() not in STOP_INITIALS]
    return "".join(w[0] for w in words if w[0].isupper())


def acronym_letters(text: str) -> str:
    return re.sub(r"[^A-Z]", "", text)


def expands(acronym: str, name: str, loose: bool = False) -> bool:
    """The acronym's letters are the name's initials (or, `loose`, a subsequence of them starting at the first):
    "FAA" / "Federal Aviation Administration"; loose for parenthesised introductions ("... Workers (UAW)")."""
    letters, init = acronym_letters(acronym), initials(name)
    if len(letters) < 2 or len(name.split()) < 2:
        return False
    if letters == init:
        return True
    if not loose or letters[0] != init[:1]:
        return False
    it = iter(init)
    return all(ch in it for ch in letters)


_PLAIN_NAME = re.compile(r"^(?:[A-Z][\w'’-]*\.?\s)+[A-Z][\w'’-]*$")


@memo
def surname(name: str) -> str:
    """The family name of a full name, titles, suffixes and particles aside ("Martin Luther King Jr." -> "King",
    "Juan de la Vega" -> "de la Vega"): nameparser's reading. Plain names ("Miguel Costa") take their last word
    without it, unless a word is one of nameparser's titles or suffixes."""
    words = name.split()
    if _PLAIN_NAME.match(name) and not any(w.lower().rstrip(".") in _SPECIAL for w in words):
        return words[-1]
    parsed = HumanName(name)
    return (parsed.last or words[-1]).strip()

