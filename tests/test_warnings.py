"""Warnings for likely mistakes (issue 15, item 2) and how they are shown (item 3).

Each warning has a name — `tiling` (a stride that does not tile its input), `layout` (an
input that looks written in the other layout), `product` (`k=3*3`, a 9x9 kernel) — that
`--no-warn NAME` silences on standard error; `-q` silences them all there; `--json` keeps
every one; `--strict` makes the ones not silenced errors (exit 2). A warning that one line
of a def (or a repeat) gives in several rows is printed once, naming the rows.

Expected figures are worked by hand beside each test.
"""

import json
import re

import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DIAGNOSTIC = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?P<level>warning|error): "
                        r"(?P<message>[^\n]*)$", re.MULTILINE)


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def diagnostics(text, level="warning"):
    return [m for m in DIAGNOSTIC.finditer(text) if m["level"] == level]


def names(spec, *args):
    return [w.name for w in cnncalc.analyze(spec, *args).warnings]


# --- layout ------------------------------------------------------------------------------------

HWC_TYPO = "input 32x32x3 | conv 10 k5 s1 p2"


def test_channels_last_written_without_layout_warns():
    result = run("analyze", HWC_TYPO, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    # the confident wrong answer stands (the warning says why): 32 channels of 32x3, so
    # (5·5·32 + 1)·10 = 801·10 = 8,010 params and an output of 10x32x3
    assert data["totals"]["params"] == 8010
    assert data["totals"]["output_shape"] == [10, 32, 3]
    (w,) = data["warnings"]
    assert w["name"] == "layout"
    assert "layout=hwc" in w["message"] and "3x32x32" in w["message"]
    assert w["path"] is None                      # the input, not a row
    # located at the sizes as written: "input " is 6 characters, so column 7
    assert (w["file"], w["line"], w["col"]) == ("<spec>", 1, 7)
    (d,) = diagnostics(result.stderr)
    assert (d["line"], d["col"]) == ("1", "7") and "layout=hwc" in d["message"]
    shown, caret = result.stderr.split("\n")[1:3]
    assert shown == "  " + HWC_TYPO
    assert caret == "  " + " " * 6 + "^" + "~" * (len("32x32x3") - 1)


def test_channels_last_written_with_layout_is_right_and_quiet():
    report = cnncalc.analyze("input 32x32x3 layout=hwc | conv 10 k5 s1 p2")
    assert report.warnings == []
    assert report.totals.params == 760            # (5·5·3 + 1)·10


def test_channels_first_declared_channels_last_warns():
    (w,) = cnncalc.analyze("input 3x32x32 layout=hwc | conv 10 k5 s1 p2").warnings
    assert w.name == "layout"
    assert "drop layout=hwc" in w.message


def test_square_two_part_input_warns_with_the_grey_image_form():
    (w,) = cnncalc.analyze("input 28x28 | conv 6 k5").warnings
    assert w.name == "layout"
    assert "28 channels" in w.message
    assert "for a 28x28 grey image write 1x28x28" in w.message


@pytest.mark.parametrize("spec", [
    "input 300x50 | conv 100 k3",              # the text CNN's form: 300 channels x 50 words
    "input 1x28x28 | conv 6 k5",
    "input 3x32x32 | conv 6 k5",
    "input 3x3x3 | conv 1 k1",                 # both readings are the same shape
    "input 32x32x5 | conv 1 k1",               # a last part of 5 is no image's channels
    "input 32x32x3 layout=chw | conv 1 k1",    # channels first, said so
    "input 1x16x16x3 | conv 1 k1",             # 3-D: not the pattern
    "input CxHxW | conv 1 k1",                 # symbols: no sizes to judge
])
def test_no_layout_warning(spec):
    assert "layout" not in names(spec)


def test_layout_warning_for_an_input_override():
    result = run("analyze", "input 3x32x32 | conv 10 k5 s1 p2", "--input", "32x32x3")
    (d,) = diagnostics(result.stderr)
    assert d["file"] == "--input" and "layout=hwc" in d["message"]


# --- product -----------------------------------------------------------------------------------

def test_kernel_written_as_a_product_warns():
    spec = "input 1x28x28 | conv 1 k=3*3"
    result = run("analyze", spec, "--json")
    data = json.loads(result.stdout)
    # k = 9: (28 − 9)/1 + 1 = 20, and 9·9 + 1 = 82 params — what the spec says
    assert data["totals"]["output_shape"] == [1, 20, 20]
    assert data["totals"]["params"] == 82
    (w,) = data["warnings"]
    assert w["name"] == "product"
    assert "9x9 kernel" in w["message"] and "for a 3x3 kernel write k3" in w["message"]
    assert (w["line"], w["col"]) == (1, spec.index("k=3*3") + 1)
    (d,) = diagnostics(result.stderr)
    assert "write k3" in d["message"]


@pytest.mark.parametrize("options, says", [
    ("k3 s=2*2", "is a stride of 4 (s = 2·2 = 4); for a stride of 2 write s2"),
    ("k3 p=2*2", "is padding 4 (p = 2·2 = 4); for padding 2 write p2"),
    ("kernel=3*3", "a 9x9 kernel"),
    ("k=(3*3)", "a 9x9 kernel"),
    ("k=5*5", "a 25x25 kernel"),       # 5·5 = 25, on a 64x64 input
])
def test_products_of_equal_numbers_warn(options, says):
    warnings = cnncalc.analyze(f"input 1x64x64 | conv 1 {options}").warnings
    (w,) = [w for w in warnings if w.name == "product"]
    assert says in w.message


def test_product_on_a_one_dimensional_input():
    (w,) = cnncalc.analyze("input 4x50 | conv 8 k=3*3").warnings   # 50 − 9 + 1 = 42 tiles
    assert "a kernel of 9" in w.message and "for a kernel of 3 write k3" in w.message


@pytest.mark.parametrize("option", ["k=3*2", "k=1*1", "k=2+2", "k=9", "k3"])
def test_other_values_do_not_warn(option):
    assert names(f"input 1x28x28 | conv 1 {option}") == []


def test_a_product_in_a_def_warns_once_for_the_text():
    spec = "def b(c) { conv c k=3*3 p4 }\ninput 1x28x28 | b(4) | b(8) | b(4)"
    warnings = cnncalc.analyze(spec).warnings
    assert [w.name for w in warnings] == ["product"]
    assert warnings[0].span.line == 1
    # a product of a def's parameters is the def's business, not a typo
    assert names("def b(f) { conv 1 k=f*f }\ninput 1x28x28 | b(3)") == []


# --- names: --no-warn, -q, --strict, JSON --------------------------------------------------------

BOTH = "input 28x28 | conv 4 k3 s2"   # layout, and (28 − 3)/2 + 1 = 13.5: tiling


def test_both_warnings_and_their_names():
    data = json.loads(run("analyze", BOTH, "--json").stdout)
    assert [w["name"] for w in data["warnings"]] == ["layout", "tiling"]
    tiling = data["warnings"][1]
    assert "13.50" in tiling["message"]
    assert set(tiling) == {"name", "message", "path", "file", "line", "col", "text"}
    # "text" is the first line printed on standard error (the old JSON string)
    assert tiling["text"].startswith("<spec>:1:15: warning: stride does not tile")
    assert tiling["path"] == "conv1"


def test_no_warn_silences_one_name_on_stderr_only():
    result = run("analyze", BOTH, "--json", "--no-warn", "tiling")
    assert [d["message"][:5] for d in diagnostics(result.stderr)] == ["28x28"]
    assert len(json.loads(result.stdout)["warnings"]) == 2   # JSON keeps every one
    both = run("analyze", BOTH, "--no-warn", "tiling", "--no-warn", "layout")
    assert both.exit_code == 0 and "warning" not in both.stderr


def test_quiet_silences_all_on_stderr_only():
    result = run("analyze", BOTH, "--json", "-q")
    assert result.exit_code == 0 and result.stderr == ""
    assert len(json.loads(result.stdout)["warnings"]) == 2
    assert run("analyze", BOTH, "--quiet").stderr == ""


def test_unknown_warning_name_is_a_usage_error():
    result = run("analyze", BOTH, "--no-warn", "tiles")
    assert result.exit_code == 2
    assert "tiling" in result.stderr and "Traceback" not in result.stderr


def test_strict_makes_every_unsilenced_warning_an_error():
    result = run("analyze", BOTH, "--strict")
    assert result.exit_code == 2 and result.stdout == ""
    errors = diagnostics(result.stderr, "error")
    assert len(errors) == 2 and "warning" not in result.stderr
    assert [(e["line"], e["col"]) for e in errors] == [("1", "7"), ("1", "15")]
    only = run("analyze", BOTH, "--strict", "--no-warn", "layout")
    assert only.exit_code == 2 and len(diagnostics(only.stderr, "error")) == 1
    accepted = run("analyze", BOTH, "--strict", "--no-warn", "layout", "--no-warn", "tiling")
    assert accepted.exit_code == 0
    # -q quiets warnings; it does not accept them
    assert run("analyze", BOTH, "--strict", "-q").exit_code == 2


def test_strict_in_the_api_skips_the_named_kinds():
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.analyze(BOTH, strict=True)
    assert "28 channels" in e.value.message
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.analyze(BOTH, strict=True, no_warn={"layout"})
    assert "13.50" in e.value.message
    cnncalc.analyze(BOTH, strict=True, no_warn={"layout", "tiling"})


@pytest.mark.parametrize("command", ["explain", "run", "verify"])
def test_every_command_that_analyses_warns(command):
    spec = "input 32x32x3 | conv 4 k3 p1"
    result = run(command, spec)
    assert result.exit_code == 0, result.stderr
    assert [d["message"][:7] for d in diagnostics(result.stderr)] == ["32x32x3"]
    assert run(command, spec, "-q").stderr == ""
    assert run(command, spec, "--no-warn", "layout").stderr == ""
    strict = run(command, spec, "--strict")
    assert strict.exit_code == 2 and strict.stdout == ""
    assert len(diagnostics(strict.stderr, "error")) == 1


def test_explain_json_keeps_warnings_as_objects():
    data = json.loads(run("explain", "input 1x7x7 | conv 1 k3 s3", "--json").stdout)
    (w,) = data["warnings"]
    assert w["name"] == "tiling" and "2.33" in w["message"]   # (7 − 3)/3 + 1


# --- grouping ----------------------------------------------------------------------------------

def test_resnet50_warnings_grouped_by_line():
    result = run("analyze", str(EXAMPLES / "resnet50.cnn"), "--json")
    data = json.loads(result.stdout)
    # torchvision's ResNet-50 has eight strides that do not tile 224: conv1, the stem max
    # pool, and in layer2..4 the stride-2 3x3 conv and the 1x1 downsample of block 0
    # (2 + 3·2 = 8); JSON keeps every one, each with its row
    assert len(data["warnings"]) == 8
    assert sorted(w["path"] for w in data["warnings"]) == sorted(
        ["conv1", "maxpool"] + [f"layer{n}.0.{m}" for n in (2, 3, 4)
                                for m in ("conv2", "downsample.0")])
    # standard error shows one warning per place in the spec: 4, each three lines
    shown = diagnostics(result.stderr)
    assert len(shown) == 4
    assert len(result.stderr.strip("\n").split("\n")) == 12
    conv2 = next(d for d in shown if "layer2.0.conv2" in d["message"])
    assert "layer3.0.conv2, layer4.0.conv2: 3 rows" in conv2["message"]
    # each stage halves a different size (56, 28, 14): the figures are the first row's
    assert "(56 − 3 + 2·1)/2 + 1 = 28.50" in conv2["message"]


def test_identical_warnings_from_one_line_name_their_rows():
    spec = "def d() { conv 2 k3 s3 }\ninput 1x7x7 | concat { d() } { d() } { d() } { d() }"
    assert len(cnncalc.analyze(spec).warnings) == 4
    result = run("analyze", spec)
    (d,) = diagnostics(result.stderr)
    assert d["message"].endswith("(in d1.conv1, d2.conv1, d3.conv1, … 4 rows)")
    strict = run("analyze", spec, "--strict")
    assert len(diagnostics(strict.stderr, "error")) == 1


def test_a_warning_in_one_row_keeps_its_place():
    result = run("analyze", "input 1x7x7 | blk: { conv 1 k3 s3 }")
    (d,) = diagnostics(result.stderr)
    assert d["message"].endswith("never used (at blk.conv1)")


def test_solve_warns_about_the_spec_not_the_candidates():
    spec = "input 32x32x3 | conv 10 k=3*3 p=P"
    result = run("solve", spec, "--output", "10x32x3", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    # k = 9 on the 32 rows: 32 − 9 + 2P + 1 = 32 → P = 4 (and 3 − 9 + 2P + 1 = 3 the same)
    assert data["solutions"] == [{"P": 4}]
    assert [w["name"] for w in data["warnings"]] == ["layout", "product"]
    assert len(diagnostics(result.stderr)) == 2
    # a stride that does not tile for some candidates is no warning of the spec's
    tiles = run("solve", "input 1x7x7 | conv 1 k3 s=S", "--output", "1x2x2")
    assert tiles.exit_code == 0 and tiles.stderr == ""   # S = 3 (2.33) and S = 4 (2.0)
    strict = run("solve", spec, "--output", "10x32x3", "--strict", "--no-warn", "layout")
    assert strict.exit_code == 2 and len(diagnostics(strict.stderr, "error")) == 1


def test_help_names_the_warnings():
    for command in ("analyze", "explain", "run", "verify", "solve"):
        text = " ".join(run(command, "--help").stdout.split())
        assert "--no-warn NAME" in text and "-q, --quiet" in text and "--strict" in text
        for name in ("tiling", "layout", "product"):
            assert name in text, (command, name)


def test_a_warning_that_explains_an_error_is_printed_before_it():
    # 3x32x32 read channels last is a 3x32 image: a 5x5 kernel does not fit its 3 rows;
    # the layout warning says why, so it comes first; -q still silences it
    from click.testing import CliRunner

    from cnncalc.cli import main

    spec = "input 3x32x32 layout=hwc | conv 10 k5"
    result = CliRunner().invoke(main, ["analyze", spec])
    assert result.exit_code == 2
    assert "warning: 3x32x32 with layout=hwc is read channels last" in result.stderr
    assert result.stderr.index("warning:") < result.stderr.index("error: conv: kernel 5")
    quiet = CliRunner().invoke(main, ["analyze", spec, "-q"])
    assert quiet.exit_code == 2 and "warning:" not in quiet.stderr
