"""docs/errors.md, the catalogue of every error and warning, stays true: every example in its
tables is run and must give the message documented beside it.

The catalogue's tables have the columns `example | <kind> | what it means`, where the second
column's header says what the example must do:

- `error message`: exit status 2, the message on standard error, nothing on standard output,
  no traceback (a `cnncalc.` example in Python must raise `CnnCalcError` with the message);
- `warning message`: exit status 0, the message on standard error;
- `answer (exit 1)`: exit status 1, the message on standard output.

An example that begins with `cnncalc ` is a command line; one that begins with `cnncalc.` is
a Python expression; any other is spec text, run as `cnncalc analyze SPEC`. The message
cell holds one or more code spans, each of which must appear. `\\|` in a cell is `|`.

Also: every literal message of a `CnnCalcError` raised in the package (and of the command
line's own option errors) appears somewhere in the catalogue, so a new error gets its entry.
"""

import os
import ast
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "docs" / "errors.md"
KINDS = {"error message": 2, "warning message": 0, "answer (exit 1)": 1}

_CELL = re.compile(r"(?<!\\)\|")
_CODE = re.compile(r"`([^`]+)`")


def _cells(line: str) -> list[str]:
    return [c.strip().replace("\\|", "|") for c in _CELL.split(line.strip())[1:-1]]


def entries():
    """(section, example, kind, [message parts]) for every row of every catalogue table."""
    found = []
    section, kind = "", None
    for number, line in enumerate(CATALOGUE.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#"):
            section, kind = line.lstrip("# "), None
        if not line.startswith("|"):
            kind = None
            continue
        cells = _cells(line)
        if cells and cells[0] == "example":
            kind = cells[1]
            assert kind in KINDS, f"errors.md:{number}: unknown column '{kind}'"
            continue
        if kind is None or set(cells[0]) <= set("-"):
            continue
        example = _CODE.fullmatch(cells[0])
        messages = _CODE.findall(cells[1])
        assert example and messages, f"errors.md:{number}: an entry is `example` | `message`"
        found.append(pytest.param(section, example.group(1), kind, messages,
                                  id=f"{number}:{example.group(1)[:50]}"))
    return found


ENTRIES = entries()


# --- the files some examples name (described in errors.md) --------------------------------

def _files(root: Path) -> None:
    (root / "big.cnn").write_bytes(b"")
    with open(root / "big.cnn", "r+b") as fh:
        fh.truncate(1024 * 1024 + 1)  # sparse: nothing is written
    (root / "loop.cnn").symlink_to("loop.cnn")
    (root / "binary.cnn").write_bytes(b"input 1x4x4\0")
    (root / "latin1.cnn").write_bytes("input 1x4x4 # café\n".encode("latin-1"))
    (root / "deep.cnn").write_text("input 1x4x4\n" + "{ " * 101 + "relu" + " }" * 101 + "\n")
    (root / "deep-calls.cnn").write_text(
        "".join(f"def f{i} {{ f{i + 1} }}\n" for i in range(101))
        + "def f101 { relu }\ninput 1x4x4\nf0\n")
    (root / "long-number.cnn").write_text("input 1x4x4 | conv 1 k=" + "1" * 301 + "\n")
    np.save(root / "x.npy", np.zeros((1, 1, 3, 3), dtype="float32"))
    np.save(root / "ids.npy", np.array([[0, 1, 2, 3, 11]], dtype="float32"))
    w, b = np.zeros((1, 1, 3, 3), "float32"), np.zeros(1, "float32")
    np.savez(root / "w-missing.npz", **{"conv1.bias": b})
    np.savez(root / "w-shape.npz", **{"conv1.weight": np.zeros((1, 1, 2, 2), "float32"),
                                      "conv1.bias": b})
    np.savez(root / "w-extra.npz", **{"conv1.weight": w, "conv1.bias": b,
                                      "fc.weight": np.zeros((2, 2), "float32")})
    (root / "notes.txt").write_text("conv1.weight = 1\n")
    os.mkfifo(root / "pipe.cnn")
    (root / "emptydir").mkdir()
    (root / "big-matrix.txt").write_text("\n".join(" ".join(["1"] * 100)
                                                   for _ in range(101)) + "\n")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalogue")
    _files(root)
    return root


def _runner() -> CliRunner:
    try:  # click < 8.2 mixes standard error into the output unless asked not to
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


def test_the_catalogue_has_entries():
    assert len(ENTRIES) > 100
    sections = {e.values[0] for e in ENTRIES}
    assert {"Reading the spec", "The input", "Warnings", "`solve`", "`demo`"} <= sections


def test_every_file_named_is_described():
    text = CATALOGUE.read_text(encoding="utf-8")
    names = set(re.findall(r"[\w-]+\.(?:cnn|npy|npz|txt)\b", " ".join(
        e.values[1] for e in ENTRIES)))
    for name in names - {"nosuch.cnn", "nosuch.npz", "y.npy"}:
        assert f"| `{name}` |" in text, name


@pytest.mark.parametrize("section, example, kind, messages", ENTRIES)
def test_example_gives_the_message(section, example, kind, messages, files, monkeypatch):
    monkeypatch.chdir(files)
    if example.startswith("cnncalc."):  # Python
        assert kind == "error message"
        with pytest.raises(cnncalc.CnnCalcError) as raised:
            eval(example, {"cnncalc": cnncalc})
        for message in messages:
            assert message in str(raised.value), (example, str(raised.value))
        return
    argv = shlex.split(example)[1:] if example.startswith("cnncalc ") else ["analyze", example]
    result = _runner().invoke(main, argv)
    shown = f"{example}\nexit {result.exit_code}\nstdout: {result.stdout}\n" \
            f"stderr: {result.stderr}"
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        (shown, result.exc_info)
    assert result.exit_code == KINDS[kind], shown
    stream = result.stdout if kind == "answer (exit 1)" else result.stderr
    for message in messages:
        assert message in stream, shown
    if kind == "error message":
        assert result.stdout == "", shown
        assert "error: " in result.stderr.lower(), shown
    if kind == "warning message":
        assert ": warning: " in result.stderr, shown


# --- every raise site is catalogued -----------------------------------------------------------

# call -> index of its message argument: CnnCalcError(message), Parser.error(message, tok),
# layers.base.fail(layer, message), layers.base.require(ctx, layer, pred, message),
# ctx/conditions.require(pred, message, span), click's BadParameter / UsageError(message)
_MESSAGE_ARG = {"CnnCalcError": 0, "error": 0, "fail": 1, "BadParameter": 0, "UsageError": 0}
SHORTEST = 12  # shorter literal pieces ("unexpected '", "' takes") say too little to look for


def _message_arg(call: ast.Call):
    f = call.func
    name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
    if name == "require":
        index = 3 if isinstance(f, ast.Name) else 1
    elif name in _MESSAGE_ARG:
        index = _MESSAGE_ARG[name]
    else:
        return None
    return call.args[index] if len(call.args) > index else None


def _pieces(node):
    """The literal text of a message: the constant parts of an f-string, a lambda's, a sum's;
    None for a message computed elsewhere (a variable, a call)."""
    if isinstance(node, ast.Lambda):
        return _pieces(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out, current = [], ""
        for value in node.values:
            if isinstance(value, ast.Constant):
                current += value.value
            else:
                out.append(current)
                current = ""
        return out + [current]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _pieces(node.left), _pieces(node.right)
        return None if left is None and right is None else (left or []) + (right or [])
    return None


def raise_sites():
    for path in sorted((ROOT / "cnncalc").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                arg = _message_arg(node)
                pieces = _pieces(arg) if arg is not None else None
                if pieces:
                    longest = max(pieces, key=len).strip(" '\"(),:;")
                    if len(longest) >= SHORTEST:
                        yield f"{path.relative_to(ROOT)}:{node.lineno}", longest


def test_the_raise_sites_are_found():
    sites = list(raise_sites())
    assert len(sites) > 100
    assert any("are not divisible by groups" in text for _, text in sites)


def test_every_raise_site_is_catalogued():
    text = CATALOGUE.read_text(encoding="utf-8").replace("\\|", "|")
    missing = [f"{where}: {piece!r}" for where, piece in raise_sites() if piece not in text]
    assert not missing, "not in docs/errors.md:\n" + "\n".join(missing)
