"""Quiet, readable output (issue 15, item 3): the JSON keys input.batch, weights, biases,
padding and rf_features; the totals without noise; the table's source column at any width;
COLUMNS=0; a reader that goes away; --json with another --format.

Expected figures are worked by hand beside each test, from the layer formulas (PyTorch's
documentation and the course notes), never from cnncalc's output.
"""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import cnncalc
from cnncalc.cli import main
from cnncalc.render.table import build_table, print_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def as_json(spec, *args):
    result = run("analyze", spec, "--json", "-q", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# --- JSON: weights and biases ------------------------------------------------------------------

def test_fc_weights_are_what_the_notes_count():
    data = as_json("input 784 | fc 512")
    (fc,) = data["layers"]
    assert fc["weights"] == 784 * 512 == 401408
    assert fc["biases"] == 512
    assert fc["params"] == 401408 + 512 == 401920


@pytest.mark.parametrize("spec, weights, biases", [
    ("input 3x32x32 | conv 10 k5 s1 p2", 5 * 5 * 3 * 10, 10),         # 750 + 10 = 760
    ("input 3x32x32 | conv 10 k5 nobias", 750, 0),
    ("input 8x16x16 | conv 16 k3 g4", 3 * 3 * (8 // 4) * 16, 16),       # grouped: 288
    ("input 8x8x8 | dwconv k3", 8 * 9, 8),                              # one 3x3 per channel
    ("input 8x8x8 | dwconv k3 mult=2", 16 * 9, 16),
    ("input 4x4x4 | deconv 2 k3", 4 * 2 * 9, 2),                        # C·OUT·k²
    ("input 16x8x8 | bn", 16, 16),                                      # scale γ, shift β
    ("input 16x8x8 | prelu per_channel", 16, 0),
    ("input 16x8x8 | prelu", 1, 0),
    ("input 50 | embed 100 16", 100 * 16, 0),
    ("input 16x8x8 | relu", 0, 0),
])
def test_weights_and_biases_per_layer(spec, weights, biases):
    (row,) = as_json(spec)["layers"]
    assert (row["weights"], row["biases"]) == (weights, biases)
    assert row["params"] == weights + biases


def test_resnet50_weights_and_biases():
    t = as_json(str(EXAMPLES / "resnet50.cnn"))["totals"]
    # README: params 25,557,032 and buffers 53,120 = 2 × 26,560 BN channels; the biases
    # are BN's shifts (one per BN channel) and the fc's 1,000 (every conv is nobias)
    assert t["params"] == 25557032
    assert t["biases"] == 26560 + 1000 == 27560
    assert t["weights"] == 25557032 - 27560 == 25529472


def test_symbolic_weights_and_biases():
    import sympy

    (row,) = as_json("input CxHxW | conv K k=F")["layers"]
    C, K, F = sympy.symbols("C K F", positive=True, integer=True)
    local = {"C": C, "K": K, "F": F}
    assert sympy.simplify(sympy.sympify(row["weights"], locals=local) - C * K * F ** 2) == 0
    assert sympy.sympify(row["biases"], locals=local) == K


# --- JSON: padding -----------------------------------------------------------------------------

@pytest.mark.parametrize("spec, padding", [
    ("input 3x32x32 | conv 10 k5 s1 p2", [[2, 2], [2, 2]]),
    ("input 3x32x32 | conv 10 k5", [[0, 0], [0, 0]]),
    ("input 3x32x32 | conv 10 k3 p=1x2", [[1, 1], [2, 2]]),
    # TensorFlow's SAME: total (⌈7/1⌉ − 1)·1 + 4 − 7 = 3, the odd pixel after: [1, 2]
    ("input 1x7x7 | conv 1 k4 p=same", [[1, 2], [1, 2]]),
    # stride 2: ⌈7/2⌉ = 4 outputs, total (4 − 1)·2 + 3 − 7 = 2: [1, 1]
    ("input 1x7x7 | conv 1 k3 s2 p=same", [[1, 1], [1, 1]]),
    # stride 2 on 8: 4 outputs, total (4 − 1)·2 + 3 − 8 = 1: [0, 1]
    ("input 1x8x8 | conv 1 k3 s2 p=same", [[0, 1], [0, 1]]),
    ("input 1x7x7 | conv 1 k3 p=valid", [[0, 0], [0, 0]]),
    ("input 1x7x7 | conv 1 k3 p=full", [[2, 2], [2, 2]]),              # d(k − 1) = 2
    ("input 300x50 | conv 100 k3 p1", [[1, 1]]),                      # 1-D
    ("input 4x8x8 | maxpool k3 s2 p1", [[1, 1], [1, 1]]),
    ("input 4x8x8 | avgpool k2", [[0, 0], [0, 0]]),
    ("input 4x8x8 | avgpool global", None),
    ("input 4x8x8 | avgpool out=2", None),
    ("input 4x8x8 | deconv 2 k4 s2 p1", [[1, 1], [1, 1]]),
    ("input 4x8x8 | pad 2", [[2, 2], [2, 2]]),
    ("input 4x8x8 | relu", None),
    ("input 4x8x8 | fc 10", None),
])
def test_padding_per_axis(spec, padding):
    (row,) = as_json(spec)["layers"]
    assert row["padding"] == padding


# --- JSON: batch and rf_features ---------------------------------------------------------------

def test_input_batch():
    one = as_json("input 3x32x32 | conv 10 k5 s1 p2")
    eight = as_json("input 3x32x32 batch=8 | conv 10 k5 s1 p2")
    assert one["input"]["batch"] == 1 and eight["input"]["batch"] == 8
    # 5·5·3·10 weights × 32·32 positions = 768,000 per image; MACs count the whole batch
    assert one["totals"]["macs"] == 768000
    assert eight["totals"]["macs"] == 8 * 768000
    assert eight["totals"]["macs"] // eight["input"]["batch"] == 768000
    assert eight["totals"]["params"] == one["totals"]["params"] == 760


def test_rf_features_is_the_last_spatial_field():
    # the course's CIFAR net: maxpool2's field is 10 (3, 4, 8, 10); the fc then combines
    # its 8 positions, 10 + (8 − 1)·4 = 38
    t = as_json("input 3x32x32 | conv 16 k3 p1 | relu | maxpool k2 | conv 20 k3 p1 | relu | "
                "maxpool k2 | fc 10")["totals"]
    assert t["rf"] == [38, 38]
    assert t["rf_features"] == [10, 10]
    # a net without spatial output
    assert as_json("input 784 | fc 10")["totals"]["rf_features"] is None
    # all spatial: the same as rf
    t = as_json("input 1x7x7 | conv 1 k3 | conv 1 k3")["totals"]
    assert t["rf"] == t["rf_features"] == [5, 5]
    # ResNet-50: the README's 427 after layer4 (7x7); the global pool's 1x1 output and the
    # fc combine its 7 positions: 427 + 6·32 = 619
    t = as_json(str(EXAMPLES / "resnet50.cnn"))["totals"]
    assert (t["rf"], t["rf_features"]) == ([619, 619], [427, 427])
    # no row keeps more than one position: the last with spatial axes
    assert as_json("input 1x7x7 | conv 1 k7")["totals"]["rf_features"] == [7, 7]


def test_json_keys_named_once():
    data = as_json("input 1x8x8 | conv 2 k3")
    assert set(data["input"]) == {"shape", "layout", "batch"}
    (row,) = data["layers"]
    assert {"weights", "biases", "padding"} <= set(row)
    assert {"weights", "biases", "rf_features"} <= set(data["totals"])


# --- totals without noise ----------------------------------------------------------------------

def totals(spec, width=100):
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    print_report(cnncalc.analyze(spec), console=console)
    text = console.export_text()
    return dict(re.findall(r"^(\S.*?|  \S.*?)  +(\S.*?)\s*$", text.split("\n\n")[1],
                           re.MULTILINE)), text


def test_small_net_totals_say_only_what_informs():
    lines, text = totals("input 1x4x4 | conv 1 k3")
    assert lines["MACs"] == "36"                           # 9 · 2·2, not "36 (36)"
    assert lines["FLOPs (2 x MACs)"] == "72"
    assert "0.00 MB" not in text
    assert lines["Input size (float32)"] == "64 bytes"     # 16 · 4
    assert lines["Forward/backward pass size"] == "32 bytes"   # 2 · 4 · 4
    assert lines["Params size"] == "40 bytes"              # 10 · 4
    assert lines["Estimated total size"] == "136 bytes"
    assert not any(label.startswith("Buffers") for label in lines)   # no batch norm
    assert lines["  weights"] == "9" and lines["  biases"] == "1"
    assert "Batch" not in lines


def test_totals_keep_what_informs():
    lines, _ = totals("input 3x32x32 batch=8 | conv 16 k3 p1 | bn | relu | maxpool k2 | fc 10")
    assert lines["Buffers (BN running stats)"] == "32"     # 2 · 16
    assert lines["Batch"] == "8"
    # 8 · (3·9·16·32·32 + 16·16·16·10) = 8 · (442,368 + 40,960) = 3,866,624
    assert lines["MACs (whole batch)"] == "3,866,624 (3.87 M)"
    # conv 432 + bn 16 + fc 40,960; biases 16 + 16 + 10
    assert lines["  weights"] == "41,408" and lines["  biases"] == "42"
    assert lines["Receptive field"] == "34x34"             # 4 + (16 − 1)·2
    assert lines["Receptive field (features)"] == "4x4"
    assert lines["Input size (float32)"] == "0.10 MB"      # 8 · 3072 · 4 = 98,304 B


def test_pure_pooling_net_has_no_weight_lines():
    lines, _ = totals("input 1x8x8 | maxpool k2")
    assert lines["Total params"] == "0" and "  weights" not in lines


# --- the table at any width --------------------------------------------------------------------

def rendered(spec, width, depth=None):
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    report = cnncalc.analyze(spec) if not isinstance(spec, Path) else cnncalc.analyze(spec)
    console.print(build_table(report, depth))
    return report, console.export_text().splitlines()


def source_cells(lines):
    """Each row's source cell, its wrapped lines joined with a space."""
    header = lines[0]
    start, end = header.index("source"), header.index("output")
    cells = []
    for line in lines[2:]:
        if not line.strip() or line.startswith("("):
            continue
        text = line[start:end].strip()
        if line[:start].strip():
            cells.append(text)
        elif text:
            cells[-1] += " " + text
    return cells


@pytest.mark.parametrize("width", [83, 86, 90, 100, 120, 160])
def test_resnet50_source_wraps_only_at_spaces(width):
    from cnncalc.render.outline import outline

    report, lines = rendered(EXAMPLES / "resnet50.cnn", width)
    assert max(len(line) for line in lines) <= width
    assert "source" in lines[0]
    expected = [line.source if line.note is None else f"{line.source}  ({line.note})"
                for line in outline(report)]
    # a cell broken at spaces reads back as its text once each break is a space again; a
    # word broken inside (bottleneck_d / own(64, s=1)) would read "bottleneck_d own(64,"
    assert [" ".join(c.split()) for c in source_cells(lines)] == \
        [" ".join(s.split()) for s in expected]


def test_resnet50_in_80_columns_leaves_the_source_out_and_says_so():
    report, lines = rendered(EXAMPLES / "resnet50.cnn", 80)
    assert max(len(line) for line in lines) <= 80
    assert "source" not in lines[0]
    assert "bottleneck" not in "\n".join(lines[:-1])
    # the longest word of a source is bottleneck_down(128) (20 letters), and the other
    # columns take 63 at their widths: 80 is too narrow, 83 is enough
    assert lines[-1] == "(the source column is left out: it needs 83 columns, this output " \
                        "has 80)"
    _, wider = rendered(EXAMPLES / "resnet50.cnn", 83)
    assert "source" in wider[0]


def test_a_short_source_stays_on_one_line():
    _, lines = rendered("input 3x32x32 | conv 16 k3 p1 | relu", 80)
    assert "source" in lines[0] and len(lines) == 5   # header, rule, input, 2 rows


@pytest.mark.parametrize("spec", [str(EXAMPLES / "resnet50.cnn"), str(EXAMPLES / "lenet5.cnn")])
def test_columns_zero_prints_at_80(spec):
    result = run("analyze", spec, "-q", env={"COLUMNS": "0"})
    assert result.exit_code == 0
    assert result.stdout.count("\n") > 10 and "Total params" in result.stdout
    assert result.stdout == run("analyze", spec, "-q", env={"COLUMNS": "80"}).stdout
    if "resnet50" in spec:  # the width matters to it: 80 leaves its source column out
        assert result.stdout != run("analyze", spec, "-q", env={"COLUMNS": "120"}).stdout


# --- --json and --format -----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "markdown", "table"])
def test_json_with_another_format_is_an_error(fmt):
    result = run("analyze", "input 1x4x4 | conv 1 k3", "--json", "--format", fmt)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--json" in result.stderr and f"--format {fmt}" in result.stderr


def test_json_with_format_json_is_fine():
    result = run("analyze", "input 1x4x4 | conv 1 k3", "--json", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["totals"]["params"] == 10


# --- a reader that goes away -------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["analyze", str(EXAMPLES / "resnet50.cnn")],
    ["analyze", str(EXAMPLES / "resnet50.cnn"), "--json"],
    ["analyze", str(EXAMPLES / "lenet5.cnn"), "--format", "csv"],
    ["explain", str(EXAMPLES / "lenet5.cnn")],
    ["layers"],
])
def test_closed_pipe_ends_quietly(args):
    """The reader has closed its end before cnncalc writes a byte: every write fails, as at
    the end of `cnncalc analyze … | head -3`, but deterministically."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, "-m", "cnncalc", *args, "-q"
                               if args[0] != "layers" else "--no-color"],
                              stdout=write, stderr=subprocess.PIPE, timeout=60, cwd=ROOT)
    finally:
        os.close(write)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""


def test_head_reads_three_lines():
    proc = subprocess.run(f'"{sys.executable}" -m cnncalc analyze examples/resnet50.cnn -q | '
                          'head -3; exit "${PIPESTATUS[0]}"', shell=True, executable="bash",
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 3 and proc.stderr == ""
