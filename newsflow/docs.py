"""Keeps generated sections of README.md in sync with the code, and reads its examples back out of it."""

from __future__ import annotations

import re
import sys

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


def sql_blocks(document: str, heading: str) -> list[str]:
    """The ```sql blocks under the Markdown heading that starts with `heading` (`Cookbook` for `### Cookbook: …`), up
    to the next heading of the same level or above: how `make cookbook` and the tests run the README's cookbook as
    written. A `#` line inside a fenced block (a shell comment) is not a heading."""
    level, fence, blocks, block = 0, False, [], None
    for line in document.splitlines(keepends=True):
        if line.startswith("```"):
            fence = not fence
            if level and fence and line.strip() == "```sql":
                block = []
            elif level and not fence and block is not None:
                blocks.append("".join(block))
                block = None
            continue
        if fence:
            if block is not None:
                block.append(line)
            continue
        found = re.match(r"(#+) (.*)", line)
        if found and level and len(found.group(1)) <= level:
            break
        if found and not level and found.group(2).startswith(heading):
            level = len(found.group(1))
    if not level:
        raise ValueError(f"the document has no heading {heading!r}")
    return blocks


if __name__ == "__main__":  # python -m newsflow.docs README.md Cookbook: that section's SQL, one block after another
    document, heading = sys.argv[1:3]
    with open(document, encoding="utf-8") as fh:
        sys.stdout.write("\n".join(sql_blocks(fh.read(), heading)))
