"""Keeps generated sections of README.md in sync with the code."""

from __future__ import annotations

START = "<!-- data-dictionary:start -->"
END = "<!-- data-dictionary:end -->"


def replace_section(document: str, generated: str) -> str:
    if START not in document or END not in document:
        raise ValueError(f"the document has no {START} ... {END} section")
    head, rest = document.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n{generated}{END}{tail}"


def section(document: str) -> str:
    return document.split(START, 1)[1].split(END, 1)[0].lstrip("\n")
