"""How people write specs (issue 15, item 1): the course's and PyTorch's spellings are
accepted where their meaning is plain, and refused with the exact fix where it is not.

Every case goes through the command line as a user types it. Expected messages, positions
and figures are written by hand: positions from where the offending text stands in the spec
(`pos`), figures from the arithmetic in the comment beside them.
"""

import json

import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main


# --- helpers ----------------------------------------------------------------------------

def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def pos(text, needle, nth=0):
    """(line, col), 1-based, of the nth occurrence of `needle` in `text` (-1: the last)."""
    i = text.rindex(needle) if nth == -1 else -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


def clean(result):
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)


def fails(spec, needle, message, *args, nth=0, command="analyze"):
    """SPEC fails with exit 2 and exactly MESSAGE, located at the nth NEEDLE, with the line
    shown and the caret under NEEDLE."""
    r = run(command, spec, *args)
    clean(r)
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    head, shown, caret = r.stderr.splitlines()[:3]
    line, col = pos(spec, needle, nth)
    assert head == f"<spec>:{line}:{col}: error: {message}"
    assert shown == "  " + spec.split("\n")[line - 1]
    assert caret.index("^") == 2 + col - 1
    return r


def report(spec, *args):
    r = run("analyze", spec, "--json", *args)
    clean(r)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def kinds(data):
    return [row["kind"] for row in data["layers"]]


def symbols(data):
    return [s["name"] for s in data["symbols"]]


# --- layer, option and keyword names in any case ------------------------------------------

@pytest.mark.parametrize("written", ["ReLU", "RELU", "Relu", "relu"])
def test_relu_in_any_case(written):
    data = report(f"input 1x28x28 | {written}")
    assert kinds(data) == ["relu"]


def test_the_course_spellings_of_layer_names():
    data = report("Input 1x28x28 | Conv 6 k5 | ReLU | MaxPool k2 | Flatten | FC 10")
    assert kinds(data) == ["conv", "relu", "maxpool", "flatten", "fc"]
    # 28 - 5 + 1 = 24, pooled to 12: 6·12·12 = 864 features; (5·5·1 + 1)·6 = 156 and
    # 864·10 + 10 = 8650 parameters
    assert data["totals"]["output_shape"] == [10]
    assert data["totals"]["params"] == 156 + 8650


def test_pytorch_spellings_of_layers_and_options():
    data = report("input 3x32x32 | Conv2d 8 Kernel_Size=3 Stride=2 Padding=SAME NoBias "
                  "| BatchNorm2d | MaxPool2d K2 S2")
    # same padding with stride 2: ceil(32/2) = 16, pooled to 8; 3·3·3·8 = 216 weights, no
    # bias, and bn's 2·8 = 16
    assert data["totals"]["output_shape"] == [8, 8, 8]
    assert data["totals"]["params"] == 216 + 16


def test_keywords_in_any_case():
    spec = ("DEF blk(c) { Residual { conv c k3 p1 } SHORTCUT { conv c k1 } }\n"
            "INPUT 4x8x8\n"
            "blk(4) | Add { } { relu } | Concat { } { }")
    data = report(spec)
    # residual: (3·3·4 + 1)·4 = 148 and (1·1·4 + 1)·4 = 20; concat doubles the channels
    assert data["totals"]["params"] == 148 + 20
    assert data["totals"]["output_shape"] == [8, 8, 8]


def test_input_options_in_any_case():
    data = report("input 32x32x3 Layout=HWC Batch=2 | conv 10 k5 p2")
    assert data["input"]["shape"] == [32, 32, 3]      # shown channels last
    assert data["totals"]["output_shape"] == [32, 32, 10]
    assert data["totals"]["params"] == 760             # (5·5·3 + 1)·10


def test_user_names_keep_their_case():
    # a def parameter C is not c: c stays a symbol of its own
    data = report("def blk(C) { conv c k1 }\ninput 4x8x8 | blk(2)")
    assert symbols(data) == ["c"]
    # labels A and a are two names, not one path given twice
    assert [row["path"] for row in report("input 4x8x8 | A: relu | a: relu")["layers"]] \
        == ["A", "a"]


def test_an_upper_case_word_that_is_a_symbol_stays_one():
    # K3 is first met as a size of the input: later it is that symbol, not the kernel 3
    data = report("input K3x8x8 | conv K3 k1", "-D", "K3=2")
    assert data["totals"]["output_shape"] == [2, 8, 8]


@pytest.mark.parametrize("name, shown", [("Relu", "'Relu' is a built-in layer ('relu', in any "
                                                    "case); choose another name"),
                                         ("RELU", "'RELU' is a built-in layer ('relu', in any "
                                                  "case); choose another name"),
                                         ("Add", "'Add' is a built-in layer ('add', in any "
                                                 "case); choose another name")])
def test_a_def_may_not_take_a_layer_name_in_another_case(name, shown):
    spec = f"def {name} {{ relu }}\ninput 1x4x4 | relu"
    fails(spec, name, shown)


def test_a_mistyped_layer_name_suggests_in_any_case():
    fails("input 1x28x28 | Rleu", "Rleu", "unknown layer 'Rleu', did you mean 'relu'?")


# --- how sizes are written ----------------------------------------------------------------

def test_capital_x_between_numbers():
    data = report("input 3X32X32 | conv 10 k5X5 s1 p2")
    assert data["totals"]["output_shape"] == [10, 32, 32]   # (32 - 5 + 2·2)/1 + 1 = 32
    assert data["totals"]["params"] == 760


def test_capital_x_in_a_fused_per_axis_kernel():
    data = report("input 3x32x32 | conv 4 k3X5")
    # rows 32 - 3 + 1 = 30, columns 32 - 5 + 1 = 28; 3·3·5·4 + 4 = 184
    assert data["totals"]["output_shape"] == [4, 30, 28]
    assert data["totals"]["params"] == 184


def test_capital_x_inside_a_name_is_a_letter():
    # in HXW the X stands between letters: one symbol, not H by W
    assert symbols(report("input 1xHXW")) == ["HXW"]


def test_product_in_a_shape():
    fails("input 1x4*4 | relu", "*",
          "in a shape 'x' separates the sizes ('*' multiplies): write input 1x4x4")


@pytest.mark.parametrize("spec, needle", [("input 32 x 32 x 3 | relu", "x"),
                                          ("input 32 X 32 X 3 | relu", "X"),
                                          ("input 32 32 3 | relu", "32")])
def test_spaces_in_a_shape(spec, needle):
    fails(spec, needle, "a shape is written without spaces: write input 32x32x3",
          nth=1 if needle == "32" else 0)


@pytest.mark.parametrize("spec, needle, fix", [
    ("input 3x32x32 | conv 4 k=(3,3)", "(3,3)", "k3 or k=3x3"),
    ("input 3x32x32 | conv 4 k=(3, 5)", "(3, 5)", "k3x5 or k=3x5"),
    ("input 3x32x32 | conv 4 kernel_size=(3,3)", "(3,3)", "k3 or kernel_size=3x3"),
    ("input 3x32x32 | conv 4 k3,3", "k3,3", "k3 or k=3x3"),
    ("input 3x32x32 | conv 4 k3 s=2,2", "2,2", "s2 or s=2x2"),
    ("input 3x32x32 | avgpool out=(7,7)", "(7,7)", "out=7 or out=7x7"),
    ("input (3,32,32) | relu", "(3,32,32)", "3x32x32"),
])
def test_pytorch_tuples(spec, needle, fix):
    fails(spec, needle, f"one value per axis is written with x, not as a list: write {fix}")


@pytest.mark.parametrize("spec, needle, message", [
    ("input 3x32x32 | maxpool 2", "2", "the kernel size is written k2: write maxpool k2"),
    ("input 3x32x32 | avgpool 2x2", "2x2", "the kernel size is written k2: write avgpool k2"),
    ("input 3x32x32 | avgpool 2X3", "2X3",
     "the kernel size is written k2x3: write avgpool k2x3"),
    ("input 3x32x32 | maxpool 2 s1", "2", "the kernel size is written k2: write maxpool k2 s1"),
    ("input 3x32x32 | conv 10 5", "5", "the kernel size is written k5: write conv 10 k5"),
    ("input 3x32x32 | conv 10 3 1 1", "3 1 1",
     "name each value (kernel k, stride s, padding p): write conv 10 k3 s1 p1"),
])
def test_values_without_their_option(spec, needle, message):
    fails(spec, needle, message, nth=-1)


@pytest.mark.parametrize("spec, needle, message", [
    ("input 3x32x32 | conv 4 k3*3", "k3*3", "'k3*3' is not a value of 'conv': write k3 or k=3x3"),
    ("input 3x32x32 | conv 4 k3*5", "k3*5",
     "'k3*5' is not a value of 'conv': write k3x5 or k=3x5"),
])
def test_a_kernel_written_as_a_product(spec, needle, message):
    # the notes write a 3x3 kernel "3*3"
    fails(spec, needle, message)


def test_a_parenthesised_value_gets_no_made_up_fix():
    r = run("analyze", "input 3x32x32 | conv 4 (3+1)")
    clean(r)
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0].startswith(
        "<spec>:1:24: error: unexpected value '(3+1)' for 'conv' (syntax: conv OUT")


@pytest.mark.parametrize("shape, col, message", [
    ("1x4*4", 4, "in a shape 'x' separates the sizes ('*' multiplies): write 1x4x4"),
    ("32 x 32 x 3", 4, "a shape is written without spaces: write 32x32x3"),
])
def test_the_same_fixes_for_the_input_option(shape, col, message):
    r = run("analyze", "input 3x32x32 | relu", "--input", shape)
    clean(r)
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == f"--input:1:{col}: error: {message}"


def test_a_value_after_its_kernel_is_not_taken_for_one():
    # the kernel is given: 1 could be a stride or a padding, so no fix is guessed
    r = run("analyze", "input 3x32x32 | conv 10 k3 1")
    clean(r)
    assert r.exit_code == 2
    assert "unexpected value '1' for 'conv'" in r.stderr
    assert "write" not in r.stderr.splitlines()[0]


# --- options written apart from their value, and layers without a '|' -----------------------

@pytest.mark.parametrize("spec, needle, message", [
    ("input 1x28x28 | conv 10 k 5", "k", "'k' needs a value: write k5 or k=5"),
    ("input 1x28x28 | conv 10 K 5", "K", "'K' needs a value: write k5 or k=5"),
    ("input 1x28x28 | conv 10 kernel 5", "kernel", "'kernel' needs a value: write k5 or "
                                                   "kernel=5"),
    ("input 1x28x28 | conv 10 k3 stride 2", "stride", "'stride' needs a value: write s2 or "
                                                      "stride=2"),
    ("input 1x28x28 | conv 10 k", "k", "'k' needs a value: write e.g. k3 or k=3"),
    ("input 1x28x28 | avgpool out 7", "out", "'out' needs a value: write out=7"),
    ("input 1x28x28 | conv k 5", "k", "'k' needs a value: write k5 or k=5"),
])
def test_an_option_name_apart_from_its_value(spec, needle, message):
    fails(spec, needle, message, nth=-1)


@pytest.mark.parametrize("spec, needle, message", [
    ("input 1x28x28 | conv 6 k5 relu", "relu",
     "'relu' is a layer: put '|' or a new line before it"),
    ("input 1x28x28 | relu maxpool k2", "maxpool",
     "'maxpool' is a layer: put '|' or a new line before it"),
    ("input 1x28x28 | conv 6 k5 ReLU", "ReLU",
     "'ReLU' is a layer: put '|' or a new line before it"),
    ("input 1x28x28 | conv 6 k5 residual { relu }", "residual",
     "'residual' is a block: put '|' or a new line before it"),
    ("def blk { relu }\ninput 1x28x28 | conv 6 k5 blk", "blk",
     "'blk' is a def: put '|' or a new line before it"),
    ("input 1x28x28 | conv 6 k5 pad 1", "pad",
     "'pad' is a layer: put '|' or a new line before it (for the option of 'conv', write "
     "p1 or pad=1)"),
    ("input 1x28x28 | conv 6 k5 { relu }", "{",
     "unexpected '{' in 'conv': put '|' or a new line before a group"),
])
def test_a_missing_separator(spec, needle, message):
    fails(spec, needle, message, nth=1 if needle == "blk" else 0)


def test_input_with_a_colon():
    fails("input: 1x28x28 | relu", ":",
          "'input' takes its shape without ':': write input 1x28x28")


def test_a_label_named_input_is_still_a_label():
    data = report("input 1x4x4 | input: relu")
    assert [row["path"] for row in data["layers"]] == ["input"]


# --- a mistyped def parameter ----------------------------------------------------------------

TYPO = "def block(channels) {\n  conv chanels k3\n}\ninput 1x28x28 | block(4)"


def test_a_mistyped_parameter_is_an_error():
    fails(TYPO, "chanels", "unknown name 'chanels', did you mean the parameter 'channels'?")


def test_a_mistyped_parameter_in_another_case():
    spec = "def block(channels) { conv Channels k3 }\ninput 1x28x28 | block(4)"
    fails(spec, "Channels", "unknown name 'Channels', did you mean the parameter 'channels'?")


def test_a_mistyped_parameter_in_a_nested_call_argument():
    spec = ("def inner(c) { conv c k1 }\n"
            "def outer(width) { inner(widht) }\n"
            "input 1x8x8 | outer(4)")
    fails(spec, "widht)", "unknown name 'widht', did you mean the parameter 'width'?")


def test_a_name_given_with_d_is_not_a_typo():
    data = report(TYPO, "-D", "chanels=5")
    assert data["totals"]["output_shape"] == [5, 26, 26]   # 28 - 3 + 1


def test_a_name_solve_is_asked_about_is_not_a_typo():
    r = run("solve", TYPO, "--max-params", "50", "--range", "chanels=1..10", "--json")
    clean(r)
    assert r.exit_code == 0, r.output
    # conv chanels k3 on one channel: (3·3·1 + 1)·chanels = 10·chanels <= 50
    assert [s["chanels"] for s in json.loads(r.stdout)["solutions"]] == [1, 2, 3, 4, 5]


def test_solve_without_the_name_reports_the_typo():
    fails(TYPO, "chanels", "unknown name 'chanels', did you mean the parameter 'channels'?",
          "--max-params", "50", command="solve")


@pytest.mark.parametrize("name", ["cha",        # three letters: too short to judge
                                  "chnls",      # three edits away
                                  "depth"])     # nothing like it
def test_names_that_are_not_typos_stay_symbols(name):
    data = report(f"def block(channels) {{ conv {name} k3 | conv channels k1 }}\n"
                  f"input 1x28x28 | block(4)")
    assert symbols(data) == [name]


# --- full-width punctuation and byte-order marks ---------------------------------------------

def test_full_width_bar_is_a_bar():
    data = report("input 3x32x32 ｜ conv 10 k5 s1 p2 ｜ relu")
    assert kinds(data) == ["conv", "relu"]
    assert data["totals"]["params"] == 760


def test_full_width_comma_and_parentheses_in_a_call():
    data = report("def blk(c, s=1) { conv c k3 s=s p1 }\ninput 3x32x32 | blk（8，s=2）")
    assert data["totals"]["output_shape"] == [8, 16, 16]   # (32 - 3 + 2)//2 + 1 = 16


def test_full_width_tuple_gets_the_fix_with_the_caret_under_it():
    spec = "input 3x32x32 ｜ conv 10 k=（3，3）"
    r = run("analyze", spec)
    clean(r)
    assert r.exit_code == 2
    head, shown, caret = r.stderr.splitlines()[:3]
    line, col = pos(spec, "（")
    assert head == (f"<spec>:{line}:{col}: error: one value per axis is written with x, "
                    f"not as a list: write k3 or k=3x3")
    # the full-width characters before the caret take two columns each (｜ once), and the
    # five characters of （3，3） take 2 + 1 + 2 + 1 + 2 = 8
    assert caret == "  " + " " * (col - 1 + 1) + "^" + "~" * 7


def test_byte_order_mark_in_inline_text():
    data = report("\ufeffinput 1x4x4 | relu")
    assert kinds(data) == ["relu"]


def test_byte_order_mark_inline_is_located_like_in_a_file(tmp_path):
    text = "input 1x4x4 | rleu"
    path = tmp_path / "net.cnn"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    inline = run("analyze", "\ufeff" + text)
    in_file = run("analyze", str(path))
    line, col = pos(text, "rleu")
    assert inline.stderr.splitlines()[0] == \
        f"<spec>:{line}:{col}: error: unknown layer 'rleu', did you mean 'relu'?"
    assert in_file.stderr.replace(str(path), "<spec>") == inline.stderr


# --- an input alone ------------------------------------------------------------------------

def test_an_input_alone_shows_its_size():
    r = run("analyze", "input 1x4x4")
    clean(r)
    assert r.exit_code == 0, r.output
    assert "1x4x4" in r.stdout
    assert "Output" in r.stdout
    data = report("input 1x4x4")
    assert data["layers"] == []
    assert data["totals"]["output_shape"] == [1, 4, 4]
    assert data["totals"]["input_bytes"] == 64              # 16 float32 values


def test_an_input_alone_through_the_api():
    assert cnncalc.analyze("input 3x32x32").totals.output_shape == (3, 32, 32)


# --- defs, --input and shapes with parentheses (the catalogue's loose ends) ---------------

def test_an_error_inside_a_def_notes_each_call_that_led_to_it():
    spec = "def f(c) { conv c k3 }\ndef g(c) { f(c) }\ninput 3x8x8\ng(2x2)"
    result = run("analyze", spec)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    line, col = pos(spec, "c k3")
    assert lines[0] == f"<spec>:{line}:{col}: error: 'out' takes one value, not one per axis"
    line, col = pos(spec, "f(c) }")
    assert lines[3] == f"<spec>:{line}:{col}: note: in this call of 'f'"
    line, col = pos(spec, "g(2x2)")
    assert lines[6] == f"<spec>:{line}:{col}: note: in this call of 'g'"
    assert lines[8].strip() == "^~~~~~"  # under all of g(2x2)


def test_a_default_may_use_a_later_parameter():
    # c = 2·d, d = e + 1, e given as 1: c = 2·(1 + 1) = 4 filters of 3x3x3, 4·27 + 4 = 112
    spec = "def f(c=d*2, d=e+1, e=3) { conv c k3 }\ninput 3x8x8\nf(e=1)"
    (row,) = cnncalc.analyze(spec).rows
    assert row.output_shape == (4, 6, 6) and row.params == 4 * 27 + 4
    # … and without e, e = 3: d = 4, c = 8
    (row,) = cnncalc.analyze(spec.replace("f(e=1)", "f()")).rows
    assert row.output_shape == (8, 6, 6)


def test_input_option_may_repeat_the_keyword():
    # the spec's own line, pasted into --input: read as 3x8x8, 8·27 + 8 = 224 parameters
    result = run("analyze", "--json", "conv 8 k3", "--input", "input 3x8x8 batch=2")
    data = json.loads(result.stdout)
    assert data["input"]["shape"] == [3, 8, 8] and data["input"]["batch"] == 2
    assert data["totals"]["params"] == 224
