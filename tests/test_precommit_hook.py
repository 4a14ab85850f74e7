"""The pre-commit hook this repository declares (`.pre-commit-hooks.yaml`): its entry, run as
pre-commit runs it — the entry's words, then the hook's args, then the staged files that
match `files` — passes good specs and fails a spec over its budget."""

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from cnncalc.cli import main

HOOKS = (Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text()


def field(name: str) -> str:
    """One field of the (single) hook, read without a YAML library: `  name: value`."""
    (value,) = re.findall(rf"^\s*-?\s*{name}:\s*(.+?)\s*$", HOOKS, re.M)
    return value


def run_hook(files, args=()):
    entry = shlex.split(field("entry"))
    assert entry[0] == "cnncalc"  # the console script the package installs
    staged = [str(f) for f in files if re.search(field("files"), Path(f).name)]
    return CliRunner().invoke(main, entry[1:] + list(args) + staged)


def test_the_hook_is_declared_for_cnn_files():
    assert field("id") == "cnncalc-check"
    assert field("language") == "python"
    assert re.search(field("files"), "net.cnn") and not re.search(field("files"), "net.py")


def test_the_hook_passes_and_fails_as_check_does(tmp_path):
    small = tmp_path / "small.cnn"
    small.write_text("input 3x32x32\nconv 10 k5 p2\nassert params <= 1K\n")  # 10·75 + 10 = 760
    big = tmp_path / "big.cnn"
    big.write_text("input 3x32x32\nconv 64 k5 p2\n")  # 64·75 + 64 = 4,864
    notes = tmp_path / "notes.txt"
    notes.write_text("not a spec")
    assert run_hook([small, notes]).exit_code == 0
    assert run_hook([small, big], ["--max-params", "4K"]).exit_code == 1   # 4,864 > 4,000
    assert run_hook([small, big], ["--max-params", "5K"]).exit_code == 0
    small.write_text("input 3x32x32\nconv 10 k5 p2\nassert params <= 700\n")  # 760 > 700
    assert run_hook([small]).exit_code == 1
