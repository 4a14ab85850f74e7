"""cnncalc.gate and `cnncalc check`: budgets and a spec's own asserts, judged on the report.

Actual values come from tests/reference/zoo.json (torchvision's ResNet-50: 25,557,032
parameters, 4,089,184,256 MACs, output 1000; LeNet-5 by hand below); the count and size
grammar from hand-written integers.
"""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

import cnncalc
from cnncalc.api import check
from cnncalc.cli import main
from cnncalc.gate import max_budget
from cnncalc.sizes import parse_count, parse_size

ZOO = json.loads((Path(__file__).parent / "reference" / "zoo.json").read_text())["models"]
RESNET50 = ZOO["resnet50"]


def _runner() -> CliRunner:
    try:  # click < 8.2 mixes standard error into the output unless asked not to
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


def run(*argv, input=None):
    return _runner().invoke(main, list(argv), input=input)


# --- the grammar of counts and sizes -----------------------------------------------------

@pytest.mark.parametrize("text, count", [
    ("25M", 25_000_000), ("4.1G", 4_100_000_000), ("1e9", 1_000_000_000),
    ("25_557_032", 25557032), ("0.5K", 500), ("2.5e6", 2_500_000), ("700", 700),
    ("4.089184256G", 4089184256), ("1k", 1000), ("3T", 3_000_000_000_000),
])
def test_counts(text, count):
    assert parse_count(text, "--max-params") == count


@pytest.mark.parametrize("text", ["1.5", "25MB", "1e", "2__5", "_25", "M", "-3", "4.1e-3G"])
def test_bad_counts(text):
    with pytest.raises(cnncalc.CnnCalcError) as e:
        parse_count(text, "--max-params")
    assert e.value.where == "--max-params"


@pytest.mark.parametrize("text, size", [
    ("512MiB", 512 * 1024 * 1024), ("2GB", 2_000_000_000), ("1.5GiB", 1610612736),
    ("1_000KB", 1_000_000), ("1e3", 1000),
])
def test_sizes(text, size):
    assert parse_size(text, "--max-memory") == size


def test_a_size_that_is_not_whole_bytes_is_an_error():
    with pytest.raises(cnncalc.CnnCalcError, match="not a whole number"):
        parse_size("1.5B", "--max-memory")


# --- check: every exit path ---------------------------------------------------------------

LENET = ("input 1x32x32 | conv 6 k5 | relu | maxpool k2 | conv 16 k5 | relu | maxpool k2 | "
         "fc 120 | fc 84 | fc 10")
# params: 6·25+6 = 156; 16·6·25+16 = 2416; 400·120+120 = 48120; 120·84+84 = 10164;
# 84·10+10 = 850 -> 61,706


def test_passes_exit_0():
    r = run("check", "resnet50", "--max-params", "26M", "--max-macs", "4.1G",
            "--output", "1000")
    assert r.exit_code == 0, r.stderr
    assert "PASS" in r.stdout and "1 spec: 1 passed, 0 failed, 0 invalid" in r.stdout


def test_a_failure_is_named_with_its_value_budget_and_excess_exit_1():
    r = run("check", "resnet50", "--max-params", "25M", "-q")
    assert r.exit_code == 1
    # 25,557,032 - 25,000,000 = 557,032 over; 557,032 / 25,000,000 = 2.2%
    assert ("params 25,557,032 > 25,000,000 (--max-params 25M): 557,032 over (2.2%)"
            in r.stdout)


def test_the_exact_figure_is_within_budget():
    r = run("check", "resnet50", "-q", "--max-params", f"{RESNET50['params']:_}",
            "--max-macs", str(RESNET50["macs"]), "--max-flops", str(2 * RESNET50["macs"]))
    assert r.exit_code == 0
    r = run("check", "resnet50", "-q", "--max-macs", str(RESNET50["macs"] - 1))
    assert r.exit_code == 1 and "1 over" in r.stdout


def test_memory_is_the_estimated_total_size():
    # 3x32x32 input: 3,072 floats = 12,288 B; conv 10 k5 p2: 10x32x32 out, counted twice
    # (forward/backward) = 2 · 10,240 · 4 = 81,920 B; 760 params = 3,040 B -> 97,248 B
    spec = "input 3x32x32 | conv 10 k5 p2"
    assert run("check", spec, "--max-memory", "97248").exit_code == 0
    r = run("check", spec, "--max-memory", "97247B")
    assert r.exit_code == 1 and "memory 97,248 > 97,247" in r.stdout


def test_wrong_output_shape():
    r = run("check", LENET, "--output", "1000")
    assert r.exit_code == 1 and "output 10 ≠ 1000 (--output 1000)" in r.stdout


def test_an_invalid_spec_exits_2_with_its_located_error():
    r = run("check", "input 1x4x4 | conv 1 k5", "--max-params", "1M")
    assert r.exit_code == 2
    assert "<spec>:1:22: error: conv: kernel 5 is larger" in r.stderr and r.stdout == ""


def test_a_bad_count_is_an_option_error():
    r = run("check", "resnet50", "--max-params", "lots")
    assert r.exit_code == 2
    assert "--max-params: error: 'lots' is not a count" in r.stderr


def test_several_specs_the_worst_status_wins():
    r = run("check", "resnet50", LENET, "--max-params", "1M", "-q")
    assert r.exit_code == 1 and "2 specs: 1 passed, 1 failed, 0 invalid" in r.stdout
    r = run("check", "resnet50", LENET, "input 1x4x4 | conv 1 k5", "--max-params", "1M", "-q")
    assert r.exit_code == 2 and "3 specs: 1 passed, 1 failed, 1 invalid" in r.stdout


@pytest.fixture
def specs(tmp_path):
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "small.cnn").write_text("input 3x32x32\nconv 10 k5 p2\n")  # 760
    (tmp_path / "nets" / "big.cnn").write_text("input 3x32x32\nconv 100 k5 p2\n")  # 7,600
    (tmp_path / "nets" / "notes.txt").write_text("not a spec")
    return tmp_path


def test_a_directory_is_its_cnn_files(specs):
    r = run("check", str(specs / "nets"), "--max-params", "1K")
    assert r.exit_code == 1
    assert "2 specs: 1 passed, 1 failed" in r.stdout and "params 7,600 > 1,000" in r.stdout


def test_a_glob_quoted_past_the_shell(specs):
    r = run("check", str(specs / "nets" / "s*.cnn"), "--max-params", "1K")
    assert r.exit_code == 0 and "1 spec: 1 passed" in r.stdout
    r = run("check", str(specs / "nets" / "x*.cnn"), "--max-params", "1K")
    assert r.exit_code == 2 and "no file matches this pattern" in r.stderr


def test_symbolic_spec_needs_values():
    spec = "input 3xHxW | conv 10 k5 p2"
    r = run("check", spec, "--max-macs", "1M")
    assert r.exit_code == 2 and "cannot be decided: macs depends on H, W" in r.stderr
    # 750 weights x 32·32 positions = 768,000 MACs
    assert run("check", spec, "--max-macs", "768K", "-D", "H=32", "-D", "W=32").exit_code == 0
    assert run("check", spec, "--max-macs", "767_999", "--input", "3x32x32").exit_code == 1
    # parameters do not depend on H and W: decided without values (750 + 10 = 760)
    assert run("check", spec, "--max-params", "760").exit_code == 0


# --- formats ------------------------------------------------------------------------------

def test_json():
    r = run("check", "resnet50", LENET, "input 1x4x4 | conv 1 k5", "--max-params", "25M",
            "--json", "-q")
    assert r.exit_code == 2
    d = json.loads(r.stdout)
    assert (d["passed"], d["failed"], d["invalid"]) == (1, 1, 1)
    first = d["specs"][0]
    assert first["spec"] == "resnet50" and first["ok"] is False and first["error"] is None
    assert first["failures"][0]["what"] == "params"
    assert first["failures"][0]["actual"] == RESNET50["params"]
    assert first["failures"][0]["budget"] == 25_000_000
    assert d["specs"][1] == {"spec": LENET, "ok": True, "failures": [], "error": None}
    assert "error:" in d["specs"][2]["error"] and d["specs"][2]["ok"] is False


def test_markdown():
    r = run("check", "resnet50", LENET, "--max-params", "25M", "--format", "markdown", "-q")
    assert r.exit_code == 1
    assert r.stdout.startswith("### cnncalc check: 2 specs: 1 passed, 1 failed, 0 invalid")
    assert "| ❌ | `resnet50` | 25,557,032 | 4,089,184,256 | 1000 |" in r.stdout
    assert "| ✅ | `input 1x32x32 \\| conv 6 k5" in r.stdout  # a | in a cell is escaped
    assert "- params 25,557,032 > 25,000,000 (--max-params 25M): 557,032 over" in r.stdout


def test_json_and_another_format_conflict():
    assert run("check", "resnet50", "--json", "--format", "markdown").exit_code == 2


# --- asserts in the spec -------------------------------------------------------------------

ASSERTED = """input 3x32x32
block: { conv 10 k5 p2 | relu }
assert params <= 760
assert output == 10x32x32
assert block.output == 10x32x32
assert rf >= 5
assert macs < 768_001
"""
# params 750 + 10 = 760; MACs 750 · 1024 = 768,000; field 5x5


def test_asserts_that_hold(tmp_path):
    path = tmp_path / "net.cnn"
    path.write_text(ASSERTED)
    r = run("check", str(path))
    assert r.exit_code == 0 and "5 budgets met" in r.stdout
    assert run("analyze", str(path)).exit_code == 0


def test_a_failing_assert_is_located_at_its_line(tmp_path):
    path = tmp_path / "net.cnn"
    path.write_text(ASSERTED.replace("params <= 760", "params < 760"))
    r = run("analyze", str(path))
    assert r.exit_code == 1
    assert f"{path}:3:1: error: assert fails: params 760 ≥ 760" in r.stderr
    r = run("check", str(path), "--json")
    assert r.exit_code == 1
    failure = json.loads(r.stdout)["specs"][0]["failures"][0]
    assert failure == {"what": "params", "op": "<", "actual": 760, "budget": 760,
                       "text": "assert params < 760", "line": 3}


def test_asserts_in_analyze_json(tmp_path):
    r = run("analyze", ASSERTED.replace("rf >= 5", "rf >= 7"), "--json")
    assert r.exit_code == 1
    asserts = json.loads(r.stdout)["asserts"]
    assert asserts[3] == {"text": "assert rf >= 7", "line": 6, "actual": [5, 5],
                          "verdict": "failed"}
    assert [a["verdict"] for a in asserts] == ["passed"] * 3 + ["failed", "passed"]


def test_the_rf_must_hold_on_every_axis():
    spec = "input 1x32x32 | conv 1 k3x5\nassert rf >= 4"  # field 3x5
    assert run("check", spec).exit_code == 1
    assert run("check", spec.replace(">= 4", "== 3x5")).exit_code == 0
    assert run("check", spec.replace(">= 4", ">= 3")).exit_code == 0


def test_an_undecided_assert():
    spec = "input 3xHxW | conv 10 k5 p2\nassert macs <= 1M"
    r = run("analyze", spec)
    # listed with the conditions: 5·5·3 = 75 weights per filter, 10 filters, H·W positions
    assert r.exit_code == 0 and "750·H·W ≤ 1,000,000  assert macs <= 1M, line 2" in r.stdout
    r = run("analyze", spec, "--format", "markdown")
    assert "- 750·H·W ≤ 1,000,000 (assert macs <= 1M, line 2)" in r.stdout
    assert run("check", spec).exit_code == 2
    assert run("check", spec, "-D", "H=32", "-D", "W=32").exit_code == 0   # 768,000
    assert run("check", spec, "-D", "H=32", "-D", "W=64").exit_code == 1   # 1,536,000


def test_command_line_budgets_and_asserts_together():
    r = run("check", "input 3x32x32 | conv 10 k5 p2\nassert params < 700", "--max-macs", "1")
    assert r.exit_code == 1 and "2 of 2 budgets failed" in r.stdout


@pytest.mark.parametrize("spec, message, col", [
    ("assert parms < 3", "'parms' is not a quantity a budget can name, did you mean 'params'?", 8),
    ("assert output < 3", "a shape has no order: compare 'output' with == or !=", 1),
    ("assert params = 3", "expected a comparison (<, <=, ==, >=, >, !=) after 'params', "
                          "found '=' (write == to compare)", 15),
    ("assert params < 3Q", "'3Q' is not a count", 17),
    ("assert conv2.output == 1x2x2", "no layer or block 'conv2', did you mean 'conv1'?", 1),
    ("assert params < 1x2", "'params' is a count; compare it with a number", 1),
])
def test_bad_asserts_are_located(spec, message, col):
    r = run("analyze", f"input 1x4x4 | conv1: conv 1 k3\n{spec}")
    assert r.exit_code == 2
    assert f"<spec>:2:{col}: error: {message}" in r.stderr


def test_api_check():
    judged = check(["resnet50", LENET], budgets=[max_budget("params", 1_000_000)])
    assert [j.verdict for j in judged] == ["failed", "passed"]
    assert judged[0].failures[0].actual == RESNET50["params"]


def test_strict_makes_a_warning_an_invalid_spec():
    spec = "input 1x7x7 | conv 1 k3 s3"  # (7 - 3)/3 + 1 = 2.33: the stride does not tile
    assert run("check", spec, "--max-params", "10").exit_code == 0   # 9 + 1 = 10 params
    r = run("check", spec, "--max-params", "10", "--strict")
    assert r.exit_code == 2 and "error: stride does not tile" in r.stderr
    assert run("check", spec, "--strict", "--no-warn", "tiling").exit_code == 0


def test_a_spec_written_on_several_lines_is_named_on_one():
    r = run("check", "input 1x4x4\nconv 1 k3", "--max-params", "10")
    assert r.stdout.splitlines()[0] == "PASS  input 1x4x4 conv 1 k3: 1 budget met"


def test_python_api_is_exported():
    assert cnncalc.check is check



@given(st.integers(min_value=0, max_value=10 ** 30))
def test_every_whole_number_reads_back_however_grouped(n):
    assert parse_count(f"{n:_}", "--max-params") == n
    assert parse_count(f"{n}K", "--max-params") == n * 1000
    assert parse_count(f"{n}e3", "--max-params") == n * 1000
    assert parse_size(f"{n}KiB", "--max-memory") == n * 1024


def test_markdown_shows_an_invalid_specs_error():
    r = run("check", LENET, "input 1x4x4 | conv 1 k5", "--format", "markdown")
    assert r.exit_code == 2
    assert "| ⚠️ | `input 1x4x4 \\| conv 1 k5` |  |  |  | invalid |" in r.stdout
    assert "```\n<spec>:1:22: error: conv: kernel 5 is larger" in r.stdout


def test_a_spec_from_standard_input():
    r = run("check", "-", "--max-params", "700", input="input 3x32x32\nconv 10 k5 p2\n")
    assert r.exit_code == 1 and "params 760 > 700" in r.stdout


def test_analyze_keeps_its_formats_with_asserts():
    spec = "input 3x32x32 | conv 10 k5 p2\nassert params < 700"
    r = run("analyze", spec, "--format", "csv")
    assert r.exit_code == 1 and r.stdout.startswith("index,path,kind")
    assert "<spec>:2:1: error: assert fails: params 760 ≥ 700: 60 over (8.6%)" in r.stderr
    r = run("analyze", spec, "--format", "markdown")
    assert r.exit_code == 1 and "| 1 | conv1 |" in r.stdout


# --- budgets under a peer's convention, and a training step's memory -----------------------

def test_max_macs_follows_the_convention():
    # ResNet-50: papers 4,089,184,256 ≤ 4.1G; fvcore 4,111,512,576 > 4.1G by 11,512,576
    assert RESNET50["macs"] <= 4_100_000_000 < RESNET50["fvcore_flops"]
    passed = run("check", "resnet50", "--max-macs", "4.1G", "-q")
    assert passed.exit_code == 0, passed.output
    failed = run("check", "resnet50", "--max-macs", "4.1G", "--convention", "fvcore", "-q",
                 "--json")
    assert failed.exit_code == 1
    (failure,) = json.loads(failed.stdout)["specs"][0]["failures"]
    assert failure["actual"] == RESNET50["fvcore_flops"] == 4_111_512_576
    assert RESNET50["fvcore_flops"] - 4_100_000_000 == 11_512_576


def test_an_assert_on_macs_follows_the_convention():
    # conv 4 k3 on 3x8x8: 4·27 weights x 36 positions = 3,888 MACs (papers); torchinfo adds
    # the 4 biases x 36 positions: 4,032
    spec = "input 3x8x8\nconv 4 k3\nassert macs <= 4000"
    assert run("check", spec, "-q").exit_code == 0
    assert run("check", spec, "-q", "--convention", "torchinfo").exit_code == 1
    assert run("analyze", spec, "-q", "--convention", "torchinfo").exit_code == 1


def test_max_memory_under_training_reads_a_training_step():
    # input 3x8x8 batch=2 | conv 4 k3 | bn | relu | fc 10, float32, adam:
    # params 4·27 + 4 + 2·4 + (144·10 + 10) = 1,570 -> 6,280 B, gradients 6,280 B,
    # adam 2 x 6,280 = 12,560 B, buffers (bn) 2·4·4 = 32 B, input 2·192·4 = 1,536 B,
    # activations kept 2·(3 x 144 + 10)·4 = 3,536 B: 30,224 B in all
    spec = "input 3x8x8 batch=2 | conv 4 k3 | bn | relu | fc 10"
    total = 6280 + 6280 + 12560 + 32 + 1536 + 3536
    assert total == 30_224
    fits = run("check", spec, "--memory", "training", "--max-memory", f"{total}", "-q")
    assert fits.exit_code == 0, fits.output
    over = run("check", spec, "--memory", "training", "--max-memory", f"{total - 1}", "-q")
    assert over.exit_code == 1 and "1 over" in over.stdout
    # sgd keeps no state: 30,224 − 12,560 = 17,664
    sgd = run("check", spec, "--memory", "training", "--optimizer", "sgd", "--max-memory",
              "17664", "-q")
    assert sgd.exit_code == 0, sgd.output
