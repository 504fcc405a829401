"""Decoding, repair and normalisation of raw text: everything here runs before any offset exists."""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer
import ftfy


class DecodeError(ValueError):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


_LATIN_FAMILY = {"latin_1", "iso8859_15", "cp1252", "cp1250", "iso8859_2", "mac_roman", "cp850", "cp437", "iso8859_9", "cp1254"}
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, normalization="NFC", explain=False)


def decode_bytes(data: bytes) -> str:
    """Bytes to str: UTF-8 (with or without BOM), UTF-16 with BOM, else the detected charset; cp1252 for Western text."""
    if not data.strip():
        raise DecodeError("empty_file", "the file is empty or holds only white space")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DecodeError("undecodable", f"UTF-16 BOM but invalid UTF-16: {exc}") from None
    if _looks_binary(data):
        raise DecodeError("binary_file", "NUL or control bytes: this is not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Mostly-ASCII text with a few stray high bytes is Western (a £ or an é), whatever a detector guesses from so
    # little evidence; heavier non-ASCII text goes to the detector.
    high = sum(1 for b in data if b >= 0x80)
    if high <= max(8, len(data) // 20):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding in _LATIN_FAMILY:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            if best is None:
                raise DecodeError("undecodable", "not UTF-8 and no known encoding fits") from None
    return str(best)


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > max(2, len(head) // 100)


_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MULTISPACE = re.compile(r" {2,}")
_MANY_NEWLINES = re.compile(r"\n{3,}")


# What ftfy can change in ASCII text: an HTML entity ("&amp;"), a line break other than "\n" and control or escape
# characters. ASCII text without any of them is left as it is (mojibake, ligatures, surrogates and NFC need
# non-ASCII), so `repair` returns it without ftfy's line-by-line pass (half the time of reading Reuters).
_ASCII_FTFY_FIXES = re.compile(r"[^\t\n\x20-\x7e]|&#?[0-9A-Za-z]{1,24};")


def repair(text: str) -> str:
    """Fix mojibake and encoding damage (ftfy), keeping curly quotes; NFC."""
    if text.isascii() and not _ASCII_FTFY_FIXES.search(text):
        return text
    return ftfy.fix_text(text, config=_FTFY)


def normalize(text: str) -> str:
    """Repair, then normalise white space: NBSP and other spaces to ' ', one blank line between paragraphs."""
    text = repair(text).replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _CONTROL.sub("", text)
    lines = [_MULTISPACE.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return unicodedata.normalize("NFC", text.strip())


def normalize_inline(text: str | None) -> str | None:
    """Normalise a one-line field (title, author, caption): no newlines; None when empty."""
    if text is None:
        return None
    value = normalize(str(text)).replace("\n", " ")
    return _MULTISPACE.sub(" ", value).strip() or None


_WORD = re.compile(r"\w+(?:[-'’.]\w+)*")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))
