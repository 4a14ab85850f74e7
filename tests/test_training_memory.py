"""`analyze --memory training`: each term of a training step's memory, against hand
arithmetic on a small net (docs/memory.md gives the rules)."""

import json

import pytest
import sympy
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main
from cnncalc.training import OPTIMIZER_STATES, training_memory, training_total

SMALL = "input 3x8x8 batch=2 | conv 4 k3 | bn | relu | fc 10"

# The small net by hand, float32 (4 bytes an element), batch 2:
#   conv 4 k3 on 3x8x8: weights 4·3·3·3 = 108, biases 4 -> 112 params; output 4x6x6
#   bn on 4 channels: scale 4 + shift 4 = 8 params; running mean 4 + running var 4 = 8 buffers
#   relu: 0 params
#   fc 10 on 4·6·6 = 144: 144·10 + 10 = 1450 params
PARAMS = 108 + 4 + 8 + 144 * 10 + 10                 # 1570
assert PARAMS == 1570
PARAM_BYTES = PARAMS * 4                             # 6280
GRADIENT_BYTES = PARAMS * 4                          # one gradient per parameter: 6280
ADAM_BYTES = 2 * PARAMS * 4                          # two moments per parameter: 12560
MOMENTUM_BYTES = 1 * PARAMS * 4                      # one velocity per parameter: 6280
BUFFER_BYTES = 8 * 4                                 # 32: counted once, no gradient
INPUT_BYTES = 2 * 3 * 8 * 8 * 4                      # 1536
# every row's output, for both images: conv, bn, relu 4·6·6 = 144 elements each; fc 10
ACTIVATION_BYTES = 3 * (2 * 144 * 4) + 2 * 10 * 4    # 1152 + 1152 + 1152 + 80 = 3536
assert ACTIVATION_BYTES == 3536
ADAM_TOTAL = (PARAM_BYTES + GRADIENT_BYTES + ADAM_BYTES + BUFFER_BYTES + INPUT_BYTES
              + ACTIVATION_BYTES)                    # 30224
assert ADAM_TOTAL == 30224
SGD_TOTAL = ADAM_TOTAL - ADAM_BYTES                  # 17664
MOMENTUM_TOTAL = SGD_TOTAL + MOMENTUM_BYTES          # 23944


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_each_term_by_hand():
    m = training_memory(cnncalc.analyze(SMALL))
    assert m.optimizer == "adam" and m.states_per_param == 2
    assert m.param_bytes == PARAM_BYTES
    assert m.gradient_bytes == GRADIENT_BYTES
    assert m.optimizer_bytes == ADAM_BYTES
    assert m.buffer_bytes == BUFFER_BYTES
    assert m.input_bytes == INPUT_BYTES
    assert m.activation_bytes == ACTIVATION_BYTES
    assert m.total_bytes == ADAM_TOTAL


@pytest.mark.parametrize("optimizer, states, total", [
    ("sgd", 0, SGD_TOTAL), ("momentum", 1, MOMENTUM_TOTAL), ("adam", 2, ADAM_TOTAL)])
def test_optimizer_states(optimizer, states, total):
    report = cnncalc.analyze(SMALL, memory="training", optimizer=optimizer)
    assert OPTIMIZER_STATES[optimizer] == states
    assert report.training.optimizer_bytes == states * PARAMS * 4
    assert report.training.total_bytes == total
    assert training_total(report, optimizer) == total
    # from a report analysed for inference too: what `check --max-memory` will call
    assert training_total(cnncalc.analyze(SMALL), optimizer) == total


def test_dtype_is_the_size_of_every_element():
    # float16: 2 bytes an element, for the weights, gradients, states, buffers and
    # activations alike: every term halves
    m = cnncalc.analyze(SMALL, dtype="float16", memory="training").training
    assert m.total_bytes == ADAM_TOTAL // 2 == 15112
    assert m.buffer_bytes == 16 and m.activation_bytes == 1768


def test_merges_and_every_row_count():
    # input 4x5x5, batch 1: the residual's conv output 4·5·5 = 100 elements, the add's 100
    # too (each row's output is kept: cnncalc does not model in-place reuse)
    m = cnncalc.analyze("input 4x5x5 | residual { conv 4 k3 p1 nobias }",
                        memory="training", optimizer="sgd").training
    assert m.activation_bytes == (100 + 100) * 4
    assert m.param_bytes == 4 * 4 * 9 * 4            # 144 weights, 4 bytes each
    assert m.total_bytes == 2 * 576 + 100 * 4 + 800  # params, gradients, input, activations


def test_symbolic_spec_gives_formulas():
    # input 3xHxH, conv 4 k3 p1 keeps HxH: 112 params -> 448 bytes, as many for gradients;
    # input 3·H²·4 = 12H²; the conv's output 4·H²·4 = 16H²; sgd keeps no state
    report = cnncalc.analyze("input 3xHxH | conv 4 k3 p1", memory="training",
                             optimizer="sgd")
    H = report.symbols[0]
    m = report.training
    assert sympy.expand(m.input_bytes - 12 * H ** 2) == 0
    assert sympy.expand(m.activation_bytes - 16 * H ** 2) == 0
    assert sympy.expand(m.total_bytes - (896 + 28 * H ** 2)) == 0
    assert report.to_dict()["training_memory"]["total_bytes"] == "28*H**2 + 896"


def test_json_keys_and_values():
    result = run("analyze", SMALL, "--memory", "training", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["training_memory"] == {
        "optimizer": "adam", "states_per_param": 2, "param_bytes": PARAM_BYTES,
        "gradient_bytes": GRADIENT_BYTES, "optimizer_bytes": ADAM_BYTES,
        "buffer_bytes": BUFFER_BYTES, "input_bytes": INPUT_BYTES,
        "activation_bytes": ACTIVATION_BYTES, "total_bytes": ADAM_TOTAL}


def test_inference_is_todays_output():
    for fmt in ("json", "table", "markdown", "csv"):
        plain = run("analyze", SMALL, "--format", fmt)
        inference = run("analyze", SMALL, "--format", fmt, "--memory", "inference")
        assert plain.exit_code == inference.exit_code == 0
        assert plain.stdout == inference.stdout
        assert "raining" not in plain.stdout
    assert "training_memory" not in json.loads(run("analyze", SMALL, "--json").stdout)


def test_table_shows_each_term():
    result = run("analyze", SMALL, "--memory", "training", "--optimizer", "momentum")
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    # MOMENTUM_TOTAL = 23944 bytes: 0.02 MB; the small terms in bytes
    for expected in ("Training memory (momentum, float32) 0.02 MB",
                     "optimizer state (1 per param) 0.01 MB", "buffers 32 bytes",
                     "input 1,536 bytes", "activations kept for backward 3,536 bytes",
                     "gradients 0.01 MB", "parameters 0.01 MB",
                     "Estimated total size 0.01 MB"):  # torchinfo's figure stays
        assert expected in lines


def test_markdown_shows_each_term():
    result = run("analyze", SMALL, "--memory", "training", "--optimizer", "sgd",
                 "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "- **Training memory (sgd, float32)**: 0.02 MB" in result.stdout  # 17,664 bytes
    assert "  - **optimizer state (0 per param)**: 0 bytes" in result.stdout
    assert "  - **activations kept for backward**: 3,536 bytes" in result.stdout


def test_no_buffers_line_without_batch_norm():
    result = run("analyze", "input 1x4x4 | conv 1 k3", "--memory", "training")
    assert "  buffers" not in result.stdout
    assert "Training memory (adam, float32)" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--optimizer", "sgd"], "--optimizer counts a training step's memory"),
    (["--memory", "train"], "'train' is not one of 'inference', 'training'"),
    (["--memory", "training", "--optimizer", "rmsprop"], "'rmsprop' is not one of"),
])
def test_option_errors(args, message):
    result = run("analyze", SMALL, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_api_errors():
    with pytest.raises(cnncalc.CnnCalcError, match="unknown optimizer 'rmsprop'"):
        cnncalc.analyze(SMALL, memory="training", optimizer="rmsprop")
    with pytest.raises(cnncalc.CnnCalcError, match="unknown memory mode 'train'"):
        cnncalc.analyze(SMALL, memory="train")
