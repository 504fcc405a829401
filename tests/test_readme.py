"""The README's promises: the two set-up commands, and a data dictionary that matches the schemas."""

from __future__ import annotations

import re

from newsflow.docs import section
from newsflow.schema import dictionary_markdown
from tests.conftest import REPO


def test_first_two_commands_are_make_run_and_make_test():
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"^(make \w+)", readme.split("```sh", 1)[1].split("```", 1)[0], flags=re.M)
    assert commands[:2] == ["make run", "make test"]
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_data_dictionary_is_generated_from_the_schemas():
    assert section((REPO / "README.md").read_text()) == dictionary_markdown(), "run `make dictionary`"
