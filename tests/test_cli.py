"""The command line as a user types it (cli.md): click's CliRunner, plus one real subprocess
for `python -m cnncalc`.

Expected figures are hand arithmetic written beside them; the JSON key sets are copied from
cli.md, not from the program.
"""

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main
from cnncalc.layers import KINDS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ANSI = re.compile(r"\x1b\[")

# cli.md's JSON example, key by key
TOP_KEYS = {"input", "layers", "totals", "warnings", "conditions", "exact_when", "min_input",
            "symbols"}
INPUT_KEYS = {"shape", "layout", "batch"}
LAYER_KEYS = {"index", "path", "kind", "source", "line", "input_shape", "output_shape",
              "params", "weights", "biases", "buffers", "macs", "flops", "padding", "rf",
              "jump", "start", "output_bytes"}
TOTAL_KEYS = {"params", "trainable_params", "weights", "biases", "buffers", "macs", "flops",
              "output_shape", "rf", "rf_features", "jump", "input_bytes", "activation_bytes",
              "param_bytes", "total_bytes"}

COURSE = "input 1x7x7 | conv 1 k3 s2 p1"          # 1x4x4: (7 + 2 - 3)/2 + 1 = 4
NOT_TILING = "input 1x7x7 | conv 1 k3 s3"         # 1x2x2 and a warning: (7 - 3)/3 + 1 = 2.33


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def warning_text(w):
    """A "warnings" entry: cli.md fixes no form, so accept a rendered string or an object."""
    return w if isinstance(w, str) else json.dumps(w)


def run_json(*args, **kw):
    result = run("analyze", *args, "--json", **kw)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result


# --- --json ------------------------------------------------------------------------------------

def test_json_is_one_object_with_the_keys_of_cli_md():
    data, _ = run_json("input 3x224x224 | stem: conv 64 k7 s2 p3")
    assert set(data) == TOP_KEYS
    assert INPUT_KEYS <= set(data["input"])
    assert data["input"]["shape"] == [3, 224, 224] and data["input"]["layout"] == "chw"
    assert set(data["totals"]) >= TOTAL_KEYS
    (layer,) = data["layers"]
    assert set(layer) >= LAYER_KEYS
    # cli.md's own example row, worked out by hand:
    assert layer["index"] == 1 and layer["path"] == "stem" and layer["kind"] == "conv"
    assert layer["source"] == "conv 64 k7 s2 p3" and layer["line"] == 1
    assert layer["input_shape"] == [3, 224, 224]
    assert layer["output_shape"] == [64, 112, 112]   # floor((224 + 6 - 7)/2) + 1 = 112
    assert layer["params"] == 9472                   # 3·64·49 + 64 = 9408 + 64
    assert (layer["weights"], layer["biases"]) == (9408, 64)
    assert layer["padding"] == [[3, 3], [3, 3]]      # p3: 3 before and after, each axis
    assert data["input"]["batch"] == 1
    assert layer["buffers"] == 0
    assert layer["macs"] == 118013952                # 9408 · 112·112 = 9408 · 12,544
    assert layer["flops"] == 236027904               # 2 · MACs
    assert layer["rf"] == [7, 7] and layer["jump"] == [2, 2] and layer["start"] == [0, 0]
    assert layer["output_bytes"] == 3211264          # 64·112·112 · 4 = 802,816 · 4
    t = data["totals"]
    assert t["output_shape"] == [64, 112, 112]
    assert t["params"] == t["trainable_params"] == 9472
    assert (t["weights"], t["biases"]) == (9408, 64)
    assert t["rf_features"] == t["rf"] == [7, 7]     # the conv's output is spatial
    assert t["input_bytes"] == 602112                # 3·224·224 · 4 = 150,528 · 4
    assert t["activation_bytes"] == 6422528          # 2 · 3,211,264 (torchinfo: x2 for grads)
    assert t["param_bytes"] == 37888                 # 9472 · 4
    assert t["total_bytes"] == 602112 + 6422528 + 37888


def test_json_start_may_be_fractional():
    data, _ = run_json("input 1x8x8 | conv 1 k2")
    assert data["layers"][0]["start"] == [0.5, 0.5]   # (2-1)/2 · 1


def test_json_with_warnings_keeps_stdout_pure():
    data, result = run_json(NOT_TILING)
    assert data["totals"]["output_shape"] == [1, 2, 2]
    assert len(data["warnings"]) == 1 and "2.33" in warning_text(data["warnings"][0])
    assert "warning" in result.stderr and "2.33" in result.stderr
    # stdout is exactly one JSON document: nothing before or after it
    decoder = json.JSONDecoder()
    text = result.stdout.strip()
    obj, end = decoder.raw_decode(text)
    assert end == len(text)


def test_format_json_equals_json_flag():
    a = run("analyze", COURSE, "--json").stdout
    b = run("analyze", COURSE, "--format", "json").stdout
    assert json.loads(a) == json.loads(b)


def test_json_matches_the_python_api():
    data, _ = run_json(COURSE)
    assert data == json.loads(json.dumps(cnncalc.analyze(COURSE).to_dict()))


def test_json_integers_exact_at_any_size():
    result = run("analyze", "input 100000 | fc 100000000000", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    params = data["layers"][0]["params"]
    assert isinstance(params, int)
    assert params == 100000 * 10 ** 11 + 10 ** 11 == 10000100000000000
    assert data["layers"][0]["macs"] == 10 ** 16          # 10^5 · 10^11
    assert data["totals"]["flops"] == 2 * 10 ** 16
    # written as digits, not as a float such as 1.00001e+16
    assert '"params": 10000100000000000' in result.stdout


# --- other formats and options -----------------------------------------------------------------

def test_markdown():
    result = run("analyze", "input 3x32x32 | conv 16 k3 p1 | relu", "--format", "markdown")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("|") and "params" in lines[0] and "MACs" in lines[0]
    assert set(lines[1]) <= set("|-: ")
    assert any("16x32x32" in l and "448" in l and "442,368" in l for l in lines)  # 3·16·9 + 16


def test_csv():
    import csv
    result = run("analyze", "input 3x32x32 | conv 16 k3 p1 | relu", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2
    assert rows[0]["kind"] == "conv" and rows[0]["params"] == "448"
    assert rows[0]["macs"] == "442368"          # 432 · 1024
    assert rows[1]["kind"] == "relu"


RES = ("input 16x8x8 | stem: conv 16 k3 p1 | "
       "block: residual { conv 16 k3 p1 | bn | relu | conv 16 k3 p1 | bn } | relu")


def test_depth_folds_nested_rows():
    full = run("analyze", RES, "--format", "markdown").stdout
    folded = run("analyze", RES, "--format", "markdown", "--depth", "1").stdout
    assert "conv1" in full and "bn2" in full
    assert "conv1" not in folded and "bn2" not in folded
    # the folded block shows rows 2-7 and their sums:
    # 2·(16·16·9 + 16) + 2·32 = 2·2320 + 64 = 4704 params; 2·2304·64 = 294,912 MACs
    line = next(l for l in folded.splitlines() if "block" in l)
    assert "2-7" in line and "4,704" in line and "294,912" in line
    table = run("analyze", RES, "--depth", "1", "--no-color").stdout
    assert "bn2" not in table and "2-7" in table


def test_input_override():
    data, _ = run_json(str(EXAMPLES / "cifar_course.cnn"), "--input", "3x64x64")
    assert data["input"]["shape"] == [3, 64, 64]
    # 64 -> conv p1 64 -> pool 32 -> conv 32 -> pool 16: 20·16·16 = 5120 into fc 10
    assert data["totals"]["params"] == 448 + 2900 + 51210      # fc 5120·10 + 10
    # 432·4096 + 2880·1024 + 51,200 = 1,769,472 + 2,949,120 + 51,200
    assert data["totals"]["macs"] == 4769792


def test_input_override_3x320x320():
    data, _ = run_json("input 3x224x224 | conv 8 k3 p1", "--input", "3x320x320")
    assert data["layers"][0]["output_shape"] == [8, 320, 320]
    assert data["totals"]["macs"] == 216 * 320 * 320            # 22,118,400


def test_dtype_halves_bytes():
    f32, _ = run_json(COURSE)
    f16, _ = run_json(COURSE, "--dtype", "float16")
    assert f32["totals"]["input_bytes"] == 196                  # 49 · 4
    assert f16["totals"]["input_bytes"] == 98                   # 49 · 2
    assert f16["layers"][0]["output_bytes"] == 32               # 16 · 2
    assert f16["totals"]["params"] == f32["totals"]["params"] == 10


def test_bad_dtype_exits_2():
    result = run("analyze", COURSE, "--dtype", "float13")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_strict_turns_warnings_into_errors():
    ok = run("analyze", NOT_TILING)
    assert ok.exit_code == 0 and "warning" in ok.stderr
    strict = run("analyze", NOT_TILING, "--strict")
    assert strict.exit_code == 2
    assert "error" in strict.stderr and "2.33" in strict.stderr
    assert run("analyze", COURSE, "--strict").exit_code == 0


def test_invalid_spec_exits_2_with_a_diagnostic():
    result = run("analyze", "input 3x32x32 | conv 16 k3 | maxpol k2")
    assert result.exit_code == 2
    assert "<spec>:1:" in result.stderr and "maxpool" in result.stderr   # did you mean
    assert result.stdout == ""


# --- colour ------------------------------------------------------------------------------------

def test_no_ansi_when_not_a_terminal():
    for args in ((), ("--no-color",)):
        result = run("analyze", COURSE, *args)
        assert result.exit_code == 0
        assert not ANSI.search(result.stdout)


def test_forced_terminal_does_colour():
    # the premise of the next test: with FORCE_COLOR rich treats the output as a terminal
    result = run("analyze", COURSE, env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert ANSI.search(result.stdout)


@pytest.mark.parametrize("how", ["flag", "env", "layers"])
def test_no_color_means_no_escapes_on_a_terminal(how):
    if how == "flag":
        result = run("analyze", COURSE, "--no-color", env={"FORCE_COLOR": "1", "NO_COLOR": None})
    elif how == "env":
        result = run("analyze", COURSE, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    else:
        result = run("layers", "--no-color", env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert result.exit_code == 0
    assert not ANSI.search(result.stdout), repr(result.stdout[:80])


# --- where SPEC comes from ---------------------------------------------------------------------

def test_spec_as_file(tmp_path):
    spec = tmp_path / "net.cnn"
    spec.write_text("# a comment\ninput 1x7x7\nconv 1 k3 s2 p1\n")
    data, _ = run_json(str(spec))
    assert data["totals"]["output_shape"] == [1, 4, 4]
    assert data["layers"][0]["line"] == 3


def test_spec_as_file_warning_names_the_file(tmp_path):
    spec = tmp_path / "net.cnn"
    spec.write_text("input 1x7x7\nconv 1 k3 s3\n")
    data, result = run_json(str(spec))
    (warning,) = data["warnings"]
    if isinstance(warning, str):
        assert f"{spec}:2:1: warning" in warning
    else:
        assert (warning["file"], warning["line"], warning["col"]) == (str(spec), 2, 1)
    assert f"{spec}:2:1: warning" in result.stderr


def test_spec_from_stdin():
    data, _ = run_json("-", input="input 1x7x7\nconv 1 k3 s2 p1\n")
    assert data["totals"]["output_shape"] == [1, 4, 4]


def test_spec_as_inline_text():
    data, _ = run_json(COURSE)
    assert data["totals"]["output_shape"] == [1, 4, 4]
    assert data["totals"]["params"] == 10          # 1·1·9 + 1


@pytest.mark.parametrize("shape", ["0x32x32", "3x32x32x32x32", "3x2.5", "3x(H"])
def test_bad_input_override_exits_2(shape):
    result = run("analyze", COURSE, "--input", shape)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_missing_file_exits_2():
    result = run("analyze", "no_such_net.cnn")
    assert result.exit_code == 2
    assert "no_such_net.cnn" in result.stderr


# --- version, layers ---------------------------------------------------------------------------

def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"cnncalc {cnncalc.__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", cnncalc.__version__)


def test_python_dash_m_version():
    proc = subprocess.run([sys.executable, "-m", "cnncalc", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"cnncalc {cnncalc.__version__}"


def test_layers_lists_every_kind_and_alias():
    result = run("layers", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    words = set(re.findall(r"[A-Za-z0-9_]+", result.stdout))
    for kind in KINDS:
        assert kind.name in words, kind.name
        for alias in kind.aliases:
            assert alias in words, alias


def test_layers_shows_the_optional_options():
    out = run("layers", env={"COLUMNS": "200"}).stdout
    for kind in KINDS:
        for token in re.findall(r"\[[^\]]+\]", kind.syntax()):
            assert token in out, (kind.name, token)
    assert "[s=1]" in out and "[nobias]" in out and "[ceil]" in out


def test_layers_json():
    result = run("layers", "--json")
    assert result.exit_code == 0
    catalog = json.loads(result.stdout)
    by_name = {entry["name"]: entry for entry in catalog}
    assert list(by_name) == [k.name for k in KINDS]
    for kind in KINDS:
        assert by_name[kind.name]["aliases"] == list(kind.aliases)
    # every name of dsl.md section 4 is there, as a kind or an alias
    known = {n for e in catalog for n in [e["name"], *e["aliases"]]}
    for name in ["conv", "dwconv", "deconv", "convtranspose", "maxpool", "avgpool", "fc",
                 "linear", "dense", "flatten", "bn", "batchnorm", "relu", "relu6", "leakyrelu",
                 "elu", "selu", "gelu", "sigmoid", "tanh", "silu", "hardswish", "hardsigmoid",
                 "mish", "softmax", "prelu", "dropout", "lrn", "upsample", "pad", "shuffle",
                 "embed"]:
        assert name in known, name


# --- the table in 80 columns -------------------------------------------------------------------

def test_resnet50_table_fits_80_columns():
    from rich.console import Console

    from cnncalc.render.table import build_table, build_totals

    report = cnncalc.analyze(EXAMPLES / "resnet50.cnn")
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(build_table(report))
    console.print(build_totals(report))
    text = console.export_text()
    lines = text.splitlines()
    assert len(lines) > 174
    assert max(len(line) for line in lines) <= 80
    # full-width numbers, each on one line:
    assert "118,013,952" in text       # conv1 MACs: 3·49·64 = 9408 weights · 112·112
    assert "9,408" in text             # conv1 params (no bias)
    assert "2,049,000" in text         # fc: 2048·1000 + 1000
    assert "25,557,032" in text        # total params (torchvision resnet50)
    assert "4,089,184,256" in text     # total MACs (dsl.md section 5)
    assert "8,178,368,512" in text     # FLOPs = 2 · MACs
    assert "53,120" in text            # buffers: 2 · 26,560 BN channels
    # and every row's figures, each unbroken on one line (this checks the rendering only)
    for row in report.rows:
        assert f"{row.params:,}" in text and f"{row.macs:,}" in text, row.path


def test_resnet50_table_keeps_layer_names_whole_in_80_columns():
    from rich.console import Console

    from cnncalc.render.table import build_table

    report = cnncalc.analyze(EXAMPLES / "resnet50.cnn")
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(build_table(report))
    lines = console.export_text().splitlines()
    names = {row.path[-1] for row in report.rows} | {path[-1] for path in report.containers}
    names.add("input")  # the first line shows the input
    # the name cells: everything left of the next column's header (the index shares the
    # cell); at 80 columns ResNet-50's source column is left out, so that is "output"
    edge = lines[0].index("source") if "source" in lines[0] else lines[0].index("output")
    fragments = set()
    for line in lines[2:]:
        if line.startswith("(the source column is left out"):  # the note under the table
            continue
        for token in line[:edge].split():
            if not token.isdigit() and token not in names:
                fragments.add(token)
    assert not fragments, sorted(fragments)


# --- cnncalc layers: composition ------------------------------------------------------------

from cnncalc.render.layers import COMPOSITION  # noqa: E402


@pytest.mark.parametrize("form", COMPOSITION, ids=lambda f: f.name)
def test_every_form_of_composition_has_syntax_and_a_working_example(form):
    result = CliRunner().invoke(main, ["layers", form.name], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert form.syntax in result.output and "example:" in result.output
    cnncalc.analyze(form.example)  # the example is a valid spec


def test_composition_examples_do_what_they_say():
    forms = {f.name: f for f in COMPOSITION}
    # residual with a projection shortcut: 64x56x56 -> 128x28x28 (stride 2, padding 1)
    assert cnncalc.analyze(forms["residual"].example).totals.output_shape == (128, 28, 28)
    # concat of 64 + 128 + 32 channels
    assert cnncalc.analyze(forms["concat"].example).totals.output_shape == (224, 28, 28)
    # the copies of a labelled repeat numbered from 0
    paths = [".".join(r.path) for r in cnncalc.analyze(forms["repeat"].example).rows]
    assert paths[-3:] == ["blocks.0", "blocks.1", "blocks.2"]


def test_an_unknown_form_gets_a_hint():
    result = CliRunner().invoke(main, ["layers", "residul"])
    assert result.exit_code == 2
    assert "did you mean 'residual'?" in result.output


def test_layers_takes_a_name_in_any_case():
    # the spec language reads ReLU and FC; so does the catalogue
    for name, kind in (("ReLU", "relu"), ("FC", "fc"), ("Residual", "residual")):
        result = CliRunner().invoke(main, ["layers", name], env={"COLUMNS": "120"})
        assert result.exit_code == 0, (name, result.output)
        assert kind in result.output
