"""The documentation in docs/ is the project's own and stays true: every command and every
option the command line has is described in docs/commands.md, and README links nothing
outside the repository."""

import re
from pathlib import Path

import click
import pytest

from cnncalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (ROOT / "docs" / "commands.md").read_text()


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_and_option_is_in_the_reference(name):
    command = main.commands[name]
    assert f"## `cnncalc {name}" in COMMANDS, name
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(f"`{opt}" in COMMANDS or f" {opt}" in COMMANDS for opt in param.opts), \
                (name, param.opts)


def test_links_stay_inside_the_repository():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)[^)]*\)", doc.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            assert (doc.parent / target).resolve().is_relative_to(ROOT), (doc.name, target)
            assert (doc.parent / target).exists(), (doc.name, target)
