"""Diagnostics through the command line (dsl.md sections 4 and 7, cli.md): every error is
`FILE:LINE:COL: error: message`, the source line and a caret under the offending token, exit
status 2 and never a traceback; warnings have the same form and exit 0 (2 with --strict).
Also the limits that keep hostile or mistaken specs cheap, and spec files that are not specs.

Every expected line and column is computed from the spec text by `pos` (where the offending
token is written), every expected number from the arithmetic in the comment beside it.
"""

import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

import cnncalc
import cnncalc.loading
from cnncalc.cli import main


# --- helpers ----------------------------------------------------------------------------

def run(spec, *args, input=None):
    return CliRunner().invoke(main, ["analyze", spec, *args], input=input)


def pos(text, needle, nth=0):
    """(line, col), 1-based, of the nth occurrence of `needle` in `text`."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
        assert i >= 0
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


def no_traceback(result):
    assert "Traceback" not in result.output
    assert "RecursionError" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)


def diagnostic(result, level="error", name="<spec>"):
    """The (line, col, message, source line, caret line) of the first diagnostic on stderr."""
    lines = result.stderr.splitlines()
    for i, text in enumerate(lines):
        if text.startswith(name + ":") and f": {level}: " in text:
            head, message = text.split(f": {level}: ", 1)
            line, col = head[len(name) + 1:].split(":")
            return int(line), int(col), message, lines[i + 1], lines[i + 2]
    raise AssertionError(f"no {level} diagnostic in:\n{result.output}")


def expect_error(spec, needle, *fragments, nth=0, width=None, name="<spec>", args=()):
    """Run SPEC; it must fail with exit 2 at the nth occurrence of NEEDLE, with a message
    holding every fragment, the source line shown and the caret under NEEDLE."""
    result = run(spec, *args)
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    line, col, message, shown, caret = diagnostic(result, name=name)
    assert (line, col) == pos(spec, needle, nth), result.stderr
    for fragment in fragments:
        assert fragment in message, message
    source_line = spec.split("\n")[line - 1].rstrip("\r").expandtabs(1)
    if len(source_line) <= 100:
        assert shown == "  " + source_line
        assert caret.index("^") == 2 + col - 1, result.stderr
    else:  # a long line may be shown as a window around the caret
        i = caret.index("^")
        assert shown[i:i + len(needle)] == needle, result.stderr
    if width is not None:
        assert caret.strip() == "^" + "~" * (width - 1), result.stderr
    return message


# --- dsl.md section 4: the rules that are errors -------------------------------------------

def test_output_axis_below_one():
    spec = "input 1x1x1 | deconv 1 k1 p1"
    # (1 - 1)·1 - 2·1 + 1·(1 - 1) + 0 + 1 = -1 < 1
    expect_error(spec, "deconv", "-1", "below 1")


def test_output_axis_below_one_in_1d():
    spec = "input 4x1 | deconv 2 k2 p2"
    # (1 - 1)·1 - 2·2 + 1·(2 - 1) + 0 + 1 = -2 < 1
    expect_error(spec, "deconv", "-2", "below 1")


def test_kernel_larger_than_input():
    spec = "input 1x4x4 | conv 1 k5"
    # 5 > 4 + 2·0
    expect_error(spec, "k5", "kernel 5 is larger than the padded input 4", width=2)


def test_kernel_larger_than_padded_input():
    spec = "input 1x4x4 | conv 1 k7 p1"
    # 7 > 4 + 2·1 = 6
    expect_error(spec, "k7", "kernel 7 is larger than the padded input 6")


def test_dilated_kernel_larger_than_input():
    spec = "input 1x4x4 | conv 1 k3 d2"
    # d(k-1) + 1 = 2·2 + 1 = 5 > 4
    expect_error(spec, "k3", "5", "larger than the padded input 4")


def test_kernel_larger_than_a_shrunk_input():
    spec = "input 1x5x5 | conv 1 k3 | conv 1 k4"
    # after the first conv 5 - 3 + 1 = 3, and 4 > 3
    expect_error(spec, "k4", "kernel 4 is larger than the padded input 3")


def test_kernel_larger_on_one_axis_only():
    spec = "input 1x8x4 | conv 1 k3x5"
    # rows 3 <= 8, columns 5 > 4
    expect_error(spec, "k3x5", "kernel 5 is larger than the padded input 4", "columns")


def test_pool_kernel_larger_than_input():
    spec = "input 1x3x3 | maxpool k4"
    # 4 > 3
    expect_error(spec, "k4", "kernel 4 is larger than the padded input 3")


def test_kernel_equal_to_input_is_fine():
    # (4 - 4)/1 + 1 = 1
    r = run("input 1x4x4 | conv 1 k4", "--strict")
    assert r.exit_code == 0
    assert cnncalc.analyze("input 1x4x4 | conv 1 k4").totals.output_shape == (1, 1, 1)


def test_input_channels_not_divisible_by_groups():
    spec = "input 3x8x8 | conv 4 k3 g2"
    # 3 = 2·1 + 1
    expect_error(spec, "g2", "3", "groups 2", width=2)


def test_output_channels_not_divisible_by_groups():
    spec = "input 4x8x8 | conv 6 k3 g4"
    # 4 % 4 = 0, but 6 = 4·1 + 2
    expect_error(spec, "g4", "output channels 6", "groups 4")


def test_groups_given_by_name():
    spec = "input 6x8x8 | conv 9 k1 groups=4"
    # 6 = 4·1 + 2
    expect_error(spec, "groups=4", "input channels 6", "groups 4")


def test_deconv_groups():
    spec = "input 4x8x8 | deconv 6 k3 g4"
    # 6 = 4·1 + 2
    expect_error(spec, "g4", "6", "groups 4")


def test_split_channels_not_divisible():
    spec = "input 3x8x8 | split { } { }"
    # 3 = 2·1 + 1
    expect_error(spec, "split", "3 channels", "2 branches", width=5)


def test_split_three_branches():
    spec = "input 4x8x8 | split { } { } { relu }"
    # 4 = 3·1 + 1
    expect_error(spec, "split", "4 channels", "3 branches")


def test_pool_padding_above_half_the_kernel():
    spec = "input 1x8x8 | maxpool k3 p2"
    # 2 > 3/2
    expect_error(spec, "p2", "padding 2", "kernel 3", width=2)


def test_avgpool_padding_above_half_the_kernel():
    spec = "input 1x8x8 | avgpool k2 p=2"
    # 2 > 2/2
    expect_error(spec, "p=2", "padding 2", "kernel 2")


def test_pool_padding_of_half_the_kernel_is_fine():
    # 1 <= 2/2; (8 + 2 - 2)/2 + 1 = 5
    r = cnncalc.analyze("input 1x8x8 | maxpool k2 p1")
    assert r.totals.output_shape == (1, 5, 5)


def test_output_padding_not_below_stride():
    spec = "input 1x8x8 | deconv 1 k3 s2 op2"
    # op 2 >= max(s, d) = max(2, 1) = 2
    expect_error(spec, "op2", "2", "max(s, d) = 2", width=3)


def test_output_padding_with_stride_one():
    spec = "input 1x8x8 | deconv 1 k3 op1"
    # op 1 >= max(1, 1) = 1
    expect_error(spec, "op1", "max(s, d) = 1")


def test_output_padding_below_stride_or_dilation_is_fine():
    # op 1 < max(2, 1): (8 - 1)·2 - 0 + 1·2 + 1 + 1 = 18
    assert cnncalc.analyze("input 1x8x8 | deconv 1 k3 s2 op1").totals.output_shape == (1, 18, 18)
    # op 1 < max(1, 2): (8 - 1)·1 + 2·2 + 1 + 1 = 13
    assert cnncalc.analyze("input 1x8x8 | deconv 1 k3 d2 op1").totals.output_shape == (1, 13, 13)


def test_add_shapes_differ():
    spec = "input 1x8x8 | add { conv 2 k1 } { }"
    # 2x8x8 vs 1x8x8
    expect_error(spec, "add", "2x8x8", "1x8x8", "added", width=3)


def test_residual_shapes_differ():
    spec = "input 4x8x8\nresidual { conv 8 k3 s2 p1 }"
    # main path 8x((8 + 2 - 3)//2 + 1 = 4)x4 vs the identity 4x8x8
    expect_error(spec, "residual", "8x4x4", "4x8x8", "added")


def test_concat_shapes_differ():
    spec = "input 1x8x8 | concat { conv 2 k3 } { }"
    # 2x6x6 (8 - 3 + 1 = 6) vs 1x8x8: spatial sizes differ
    expect_error(spec, "concat", "2x6x6", "1x8x8", "concatenated", width=6)


def test_mul_shapes_differ():
    spec = "input 2x8x8 | mul { conv 2 k3 } { conv 2 k1 }"
    # 2x6x6 vs 2x8x8: 6 and 8 are neither equal nor 1
    expect_error(spec, "mul", "2x6x6", "2x8x8", "multiplied")


def test_branches_with_different_numbers_of_axes():
    spec = "input 2x8x8 | add { flatten } { }"
    # 128 (2·8·8) vs 2x8x8
    expect_error(spec, "add", "128", "2x8x8")


def test_error_on_a_later_line():
    spec = "input 1x8x8\nconv 4 k3\nrelu\nconv 8 k3 g3"
    # 4 = 3·1 + 1
    expect_error(spec, "g3", "groups 3")


# --- warnings ---------------------------------------------------------------------------------

def test_stride_that_does_not_tile_warns():
    spec = "input 1x7x7 | conv 1 k3 s3"
    r = run(spec)
    assert r.exit_code == 0
    line, col, message, shown, caret = diagnostic(r, "warning")
    # (7 - 3)/3 + 1 = 2.33: floor gives 2 and 7 - (3 + 1·3) = 1 row is left over
    assert "2.33" in message
    assert (line, col) == pos(spec, "conv")
    assert shown == "  " + spec
    assert caret.index("^") == 2 + col - 1
    assert "error" not in r.stderr


def test_warning_goes_to_stderr_with_json():
    r = run("input 1x7x7 | conv 1 k3 s3", "--json")
    assert r.exit_code == 0
    assert "warning:" in r.stderr
    assert r.stdout.lstrip().startswith("{")


def test_strict_makes_warning_an_error():
    spec = "input 1x7x7 | conv 1 k3 s3"
    r = run(spec, "--strict")
    no_traceback(r)
    assert r.exit_code == 2
    line, col, message, _, _ = diagnostic(r, "error")
    assert "2.33" in message
    assert (line, col) == pos(spec, "conv")


def test_tiling_stride_does_not_warn():
    # (7 + 2 - 3)/2 + 1 = 4 exactly
    r = run("input 1x7x7 | conv 1 k3 s2 p1", "--strict")
    assert r.exit_code == 0
    assert "warning" not in r.stderr


# --- syntax and name errors ------------------------------------------------------------------

def test_unknown_layer_suggests():
    spec = "input 1x8x8 | conv 4 k3 | maxpol k2"
    expect_error(spec, "maxpol", "unknown layer 'maxpol'", "did you mean 'maxpool'?", width=6)


def test_unknown_layer_on_line_3():
    spec = "input 1x8x8\nconv 4 k3\n  rleu"
    expect_error(spec, "rleu", "did you mean 'relu'?")


def test_unknown_layer_without_close_match():
    spec = "input 1x8x8 | zzzzqq"
    msg = expect_error(spec, "zzzzqq", "unknown layer 'zzzzqq'")
    assert "did you mean" not in msg


def test_unknown_named_option_suggests():
    spec = "input 1x8x8 | conv 4 k3 strde=2"
    expect_error(spec, "strde", "strde", "did you mean 'stride'?", width=5)


def test_unknown_flag_suggests():
    spec = "input 1x8x8 | conv 4 k3 nobais"
    expect_error(spec, "nobais", "nobais", "did you mean 'nobias'?")


@pytest.mark.parametrize("typo, suggestion", [
    ("kk1", "k1"),          # a fused option with a doubled letter keeps its digits
    ("stride2", "stride=2"),  # a long name needs '=': stride=2
    ("p=sam", "same"),      # a padding word
])
def test_mistyped_options_get_the_right_suggestion(typo, suggestion):
    spec = f"input 3x8x8 | conv 64 k3 {typo}" if typo != "kk1" else "input 3x8x8 | conv 64 kk1"
    expect_error(spec, typo.split("=")[-1], f"did you mean '{suggestion}'?")


def test_unknown_input_option_suggests():
    spec = "input 1x8x8 layot=hwc | relu"
    expect_error(spec, "layot", "did you mean 'layout'?")


def test_missing_kernel():
    spec = "input 1x8x8 | conv 4"
    expect_error(spec, "conv", "kernel")


def test_pool_without_kernel():
    spec = "input 1x8x8 | maxpool"
    expect_error(spec, "maxpool", "kernel")


def test_missing_out_channels():
    spec = "input 1x8x8 | conv k3"
    expect_error(spec, "conv", "output channels")


def test_unclosed_brace_after_a_separator():
    spec = "input 1x8x8 | { conv 4 k3 |"
    expect_error(spec, "{", "never closed", width=1)


def test_unclosed_brace_at_end_of_file():
    spec = "input 1x8x8\nresidual {\n  conv 1 k3 p1\n"
    expect_error(spec, "{", "never closed")


def test_unclosed_brace_without_trailing_separator():
    spec = "input 1x8x8 | { conv 4 k3"
    expect_error(spec, "{", "never closed")


def test_unclosed_block_brace_without_trailing_separator_is_still_an_error():
    r = run("input 1x8x8 | residual { conv 4 k3")
    no_traceback(r)
    assert r.exit_code == 2
    assert "<spec>:1:" in r.stderr


def test_unclosed_call_parenthesis():
    spec = "input 1x8x8 | f(4"
    r = run(spec)
    no_traceback(r)
    assert r.exit_code == 2
    line, col, message, _, _ = diagnostic(r)
    assert "')'" in message
    assert line == 1


def test_unclosed_value_parenthesis():
    spec = "input 1x8x8 | conv (4 k3"
    expect_error(spec, "k3", "')'")


def test_stray_closing_parenthesis():
    spec = "input 1x8x8 | conv 4 k3 )"
    expect_error(spec, ")", "')'", width=1)


def test_stray_closing_parenthesis_alone():
    spec = "input 1x8x8 | ) relu"
    expect_error(spec, ")", "')'")


def test_stray_closing_brace():
    spec = "input 1x8x8 | relu }"
    expect_error(spec, "}", "'}'")


@pytest.mark.parametrize("spec, needle, fragment", [
    ("input 1x8x8 | conv 4a k3", "4a", "'4a'"),
    ("input 1x8x8 | conv 1.2.3 k3", "1.2.3", "'1.2.3'"),
    ("input 1x8x8 | conv 4.5 k3", "4.5", "whole number"),
    ("input 1x8x8 | conv 0 k3", "0 k3", "at least 1"),
    ("input 1x8x8 | conv -4 k3", "-4", "at least 1"),
    ("input 1x8x8 | conv 4 k3 s0", "s0", "at least 1"),
    ("input 1x8x8 | conv 4 k3 p=-1", "-1", "at least 0"),
    ("input 1x8x8 | conv 4 k3 bias=maybe", "maybe", "true or false"),
    ("input 0x8x8 | relu", "0x8x8", "at least 1"),
    ("input 1x8x8 | conv 4 k3 | relu * 0", "0", "at least 1"),
    ("input 1x8x8 | conv 4 k3 | relu * 1.5", "1.5", "whole number"),
])
def test_bad_numbers(spec, needle, fragment):
    expect_error(spec, needle, fragment)


def test_number_too_long():
    spec = "input 1x8x8 | conv " + "9" * 400 + " k1"
    r = run(spec)
    no_traceback(r)
    assert r.exit_code == 2
    assert diagnostic(r)[:2] == pos(spec, "9")


def test_division_that_is_not_exact():
    spec = "input 1x8x8 | conv 7/2 k3"
    # 7 = 2·3 + 1
    expect_error(spec, "7/2", "7/2 does not divide exactly", width=3)


def test_division_that_is_not_exact_in_a_def():
    spec = "def f(c) { conv c/4 k1 }\ninput 1x8x8\nf(6)"
    # 6 = 4·1 + 2; the location is the value in the def body
    expect_error(spec, "c/4", "6/4", "divide exactly")


@pytest.mark.parametrize("value", ["4/0", "4//0", "4%0", "4/(2-2)"])
def test_division_by_zero(value):
    spec = f"input 1x8x8 | conv {value} k3"
    expect_error(spec, value, "division by zero")


@pytest.mark.parametrize("spec, needle", [
    ("input 1x8x8 | conv 4 k3 k5", "k5"),
    ("input 1x8x8 | conv 4 k3 k=5", "k=5"),
    ("input 1x8x8 | conv 4 k3 s2 stride=2", "stride=2"),
    ("input 1x8x8 | conv 4 k3 nobias bias=false", "bias=false"),
    ("input 1x8x8 | conv 4 k3 p1 p=same", "p=same"),
])
def test_duplicate_option(spec, needle):
    expect_error(spec, needle, "given twice")


def test_too_many_positional_values():
    spec = "input 1x8x8 | conv 4 5 k3"
    expect_error(spec, "5", "unexpected value '5'", width=1)


def test_value_for_a_layer_without_positional_values():
    spec = "input 1x8x8 | relu 3"
    expect_error(spec, "3", "'3'")


def test_spaces_around_an_operator_in_a_value():
    spec = "input 1x8x8 | conv 4* 2 k3"
    expect_error(spec, "*", "without spaces")


def test_options_after_a_repeat():
    spec = "input 1x8x8 | conv 4 * 2 k3"
    expect_error(spec, "k3", "'k3'")


def test_space_after_equals():
    spec = "input 1x8x8 | conv 4 k3 s= 2"
    expect_error(spec, "2", "without spaces")      # the value after the space


def test_unknown_def_parameter_suggests():
    spec = "def f(chan) { conv chan k3 }\ninput 1x8x8\nf(chn=4)"
    expect_error(spec, "chn", "no parameter 'chn'", "did you mean 'chan'?", width=3)


def test_missing_def_argument():
    spec = "def f(c) { conv c k3 }\ninput 1x8x8\nf()"
    expect_error(spec, "f()", "'c'", width=3)


def test_missing_def_argument_without_parentheses():
    spec = "def f(c, k) { conv c k=k }\ninput 1x8x8\nf 4"
    expect_error(spec, "f 4", "'k'")


def test_too_many_def_arguments():
    spec = "def f(c) { conv c k3 }\ninput 1x8x8\nf(4, 5)"
    expect_error(spec, "5)", "takes 1 value", "got 2")


def test_def_argument_given_twice():
    spec = "def f(c) { conv c k1 }\ninput 1x8x8\nf(4, c=5)"
    expect_error(spec, "c=5", "given twice")


def test_def_parameter_listed_twice():
    spec = "def f(c, c) { relu }\ninput 1x8x8\nf(1, 2)"
    expect_error(spec, "c)", "listed twice")


def test_def_named_like_a_layer():
    spec = "def conv { relu }\ninput 1x8x8 | conv"
    expect_error(spec, "conv", "built-in")


def test_def_defined_twice():
    spec = "def f { relu }\ndef f { bn }\ninput 1x8x8 | f"
    expect_error(spec, "f {", "defined twice", nth=1)


def test_def_inside_a_block():
    spec = "input 1x8x8 | { def f { relu } }"
    expect_error(spec, "def", "top level")


def test_def_without_body():
    spec = "def f(c)\ninput 1x8x8"
    expect_error(spec, "input", "'{'")


def test_second_input():
    spec = "input 1x8x8\ninput 1x8x8\nconv 1 k1"
    expect_error(spec, "input", "second", nth=1, width=5)


def test_input_after_layers():
    spec = "conv 1 k1\ninput 1x8x8"
    expect_error(spec, "input", "before the layers")


def test_input_inside_a_block():
    spec = "input 1x8x8 | { input 1x4x4 }"
    expect_error(spec, "input", "input", nth=1)


def test_no_input():
    spec = "conv 1 k1 | relu"
    expect_error(spec, "conv", "no input")


def test_input_without_layers_shows_the_input():
    # issue 15: `input 1x8x8` alone is a question about the input, not a mistake
    r = run("input 1x8x8 ", "--json")
    no_traceback(r)
    assert r.exit_code == 0, r.output
    import json
    data = json.loads(r.stdout)
    assert data["layers"] == []
    assert data["totals"]["output_shape"] == [1, 8, 8]
    assert data["totals"]["params"] == 0


def test_input_without_a_shape():
    spec = "input | relu"
    expect_error(spec, "|", "shape")


@pytest.mark.parametrize("spec", ["", "   ", "# just a comment\n"])
def test_empty_spec(spec):
    r = run(spec)
    no_traceback(r)
    assert r.exit_code == 2
    assert "empty" in r.stderr
    line, col, _, _, caret = diagnostic(r)
    assert (line, col) == (1, 1)


@pytest.mark.parametrize("spec", ["", "   ", "# just a comment\n"])
def test_empty_spec_is_refused_cleanly(spec):
    r = run(spec)
    no_traceback(r)
    assert r.exit_code == 2
    assert "error" in r.stderr and "empty" in r.stderr


@pytest.mark.parametrize("char", ["@", "$", "é", "→", "\x07", "\"", "'", "!"])
def test_unexpected_character(char):
    spec = f"input 1x8x8 | conv 4 k3 {char} relu"
    r = run(spec)
    no_traceback(r)
    assert r.exit_code == 2
    line, col, message, shown, caret = diagnostic(r)
    assert (line, col) == pos(spec, char)
    assert "unexpected character" in message
    assert caret.index("^") == 2 + col - 1


@pytest.mark.parametrize("spec, needle, nth, fragment", [
    ("input 1x2x3x4x5 | relu", "input", 0, "at most 3 spatial"),
    ("input 3x8x8 layout=xyz | relu", "xyz", 0, "layout"),
    ("input 3x8x8 batch=0 | relu", "0", 0, "at least 1"),
    ("input 1x8x8 | conv 4 k3x5x7", "k3x5x7", 0, "3 values"),
    ("input 300x50 | conv 4 k3x5", "k3x5", 0, "1 spatial axis"),
    ("input 1x8x8 | add { relu }", "add", 0, "two branches"),
    ("input 1x8x8 | shortcut { relu }", "shortcut", 0, "residual"),
    ("input 1x8x8 | concat { relu } { } shortcut { relu }", "shortcut", 0, "residual"),
    ("input 1x8x8 | residual { relu } shortcut relu", "relu", 1, "'{'"),
    ("input 1x8x8 | residual relu", "relu", 0, "'{'"),
    ("input 8 | maxpool k2", "maxpool", 0, "spatial"),
    ("input 1x8x8 | relu * N", "N", 0, "number"),
])
def test_more_located_errors(spec, needle, nth, fragment):
    expect_error(spec, needle, fragment, nth=nth)


# --- positions inside def bodies -------------------------------------------------------------

def test_error_inside_def_points_into_its_body():
    spec = "def f(c) {\n  conv c k5\n}\ninput 1x4x4\nf(2)"
    # 5 > 4
    expect_error(spec, "k5", "kernel 5 is larger than the padded input 4")


def test_group_error_inside_def_body():
    spec = "def f(c) {\n  relu | conv c k3 g=c\n}\ninput 3x8x8\nf(2)"
    # 3 = 2·1 + 1
    expect_error(spec, "g=c", "groups 2")


def test_unknown_layer_inside_def_body():
    spec = "def f(c) {\n  reluu\n}\ninput 3x8x8\nf(2)"
    expect_error(spec, "reluu", "did you mean 'relu'?")


def test_merge_error_inside_nested_def():
    spec = ("def inner(c) { add { conv c k1 } { } }\n"
            "def outer(c) { inner(c) }\n"
            "input 4x8x8\nouter(8)")
    # 8x8x8 vs 4x8x8
    expect_error(spec, "add", "8x8x8", "4x8x8")


# --- the Python API ---------------------------------------------------------------------------

def test_api_error_carries_position():
    spec = "input 1x8x8\nconv 4 k3 | maxpol k2"
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.analyze(spec)
    assert (e.value.line, e.value.col) == pos(spec, "maxpol")
    assert e.value.span.text == "maxpol"
    assert "did you mean 'maxpool'?" in e.value.message


def test_api_analysis_error_carries_position():
    spec = "input 1x4x4 | conv 1 k5"
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.analyze(spec)
    assert (e.value.line, e.value.col) == pos(spec, "k5")
    assert e.value.span.text == "k5"


def test_api_strict():
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.analyze("input 1x7x7 | conv 1 k3 s3", strict=True)
    assert "2.33" in e.value.message
    assert e.value.line == 1


# --- limits (issue point 6) -----------------------------------------------------------------

def timed(spec, *args):
    start = time.perf_counter()
    r = run(spec, *args)
    return r, time.perf_counter() - start


def test_huge_repeat_is_refused_quickly():
    spec = "input 3x8x8 | { conv 3 k1 } * 1000000000"
    r, seconds = timed(spec)
    no_traceback(r)
    assert r.exit_code == 2
    assert seconds < 2
    line, col, message, _, _ = diagnostic(r)
    assert (line, col) == pos(spec, "{")
    # 1 layer x 1,000,000,000 > 10,000
    assert "1,000,000,000" in message and "limit of 10,000" in message
    assert "--max-layers" in message


def test_nested_repeats_are_refused_quickly():
    spec = "input 3x8x8 | { { conv 3 k1 } * 1000 } * 1000"
    r, seconds = timed(spec)
    no_traceback(r)
    assert r.exit_code == 2
    assert seconds < 2
    # 1,000 x 1,000 = 1,000,000 > 10,000 (the inner 1,000 is within it)
    assert "1,000,000 layers" in diagnostic(r)[2]


def test_chained_repeats_are_refused_quickly():
    spec = "input 3x8x8 | conv 3 k1" + " * 1000" * 4
    r, seconds = timed(spec)
    assert r.exit_code == 2
    assert seconds < 2


def test_repeats_through_defs_are_refused_quickly():
    # a call counts besides its layers: d0 = 1 + 1 = 2, d1 = 1 + 100·2 = 201, and d2's
    # body is 100·201 = 20,100 > 10,000
    spec = ("def d0 { relu }\n" + "".join(f"def d{i} {{ d{i - 1} * 100 }}\n" for i in range(1, 5))
            + "input 3x8x8\nd4")
    r, seconds = timed(spec)
    no_traceback(r)
    assert r.exit_code == 2
    assert seconds < 2
    assert "20,100 layers" in diagnostic(r)[2]


def test_doubling_defs_are_refused_quickly():
    # a call counts besides its layers: d0 = 2, d(i) = 1 + 2·d(i-1) = 3·2^i - 1, so d12's
    # body, d11 | d11, is 2·(3·2^11 - 1) = 12,286 > 10,000
    spec = ("def d0 { relu }\n"
            + "".join(f"def d{i} {{ d{i - 1} | d{i - 1} }}\n" for i in range(1, 21))
            + "input 3x8x8\nd20")
    cmd = [sys.executable, "-m", "cnncalc", "analyze", spec]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=2.5)
    except subprocess.TimeoutExpired:
        pytest.fail("not refused within 2.5 s (including the interpreter's start)")
    assert time.perf_counter() - start < 2.5
    assert proc.returncode == 2
    assert "12,286" in proc.stderr


def test_max_layers_option():
    spec = "input 3x8x8 | conv 3 k1 * 11"
    r = run(spec, "--max-layers", "10")
    assert r.exit_code == 2
    # 11 > 10
    assert "11" in diagnostic(r)[2] and "10" in diagnostic(r)[2]
    r = run("input 3x8x8 | conv 3 k1 * 10", "--max-layers", "10")
    assert r.exit_code == 0


def test_max_layers_raises_the_default():
    spec = "input 3x8x8 | relu * 10001"
    # 10,001 > 10,000 by default
    r, seconds = timed(spec)
    assert r.exit_code == 2 and seconds < 2
    assert "10,001" in diagnostic(r)[2]
    # with a higher cap the same expansion is accepted by the builder
    from cnncalc.build import build
    from cnncalc.errors import Source
    from cnncalc.syntax import parse
    net = build(parse(Source("<spec>", spec)), max_layers=20_000)
    assert net.leaf_count == 10_001


def test_max_layers_must_be_positive():
    r = run("input 3x8x8 | relu", "--max-layers", "0")
    assert r.exit_code == 2
    no_traceback(r)


def test_mutual_recursion_is_named():
    spec = "def a { b }\ndef b { a }\ninput 1x8x8\na"
    r, seconds = timed(spec)
    assert seconds < 2
    expect_error(spec, "a }", "a → b → a")   # the call of a inside b


def test_self_recursion():
    spec = "def a(c) { conv c k1 | a(c) }\ninput 1x8x8\na(2)"
    expect_error(spec, "a(c)", "a → a", nth=1)   # the call, not the header


def test_recursion_through_a_block():
    spec = "def a { residual { b } }\ndef b { { a } * 2 }\ninput 1x8x8\na"
    expect_error(spec, "a }", "a → b → a")


def test_deeply_nested_residual_is_a_clean_error():
    spec = "input 3x8x8 | " + "residual { " * 3000 + "relu" + " }" * 3000
    r, seconds = timed(spec)
    no_traceback(r)
    assert r.exit_code == 2
    assert seconds < 2
    line, col, message, shown, caret = diagnostic(r)
    assert line == 1
    assert "nest" in message
    # the caret stands under a '{' (or 'residual') of the shown window
    assert shown[caret.index("^")] in "{r"


def test_deeply_nested_groups_is_a_clean_error():
    spec = "input 3x8x8 | " + "{ " * 3000 + "relu" + " }" * 3000
    r = run(spec)
    no_traceback(r)
    assert r.exit_code == 2
    assert "nest" in diagnostic(r)[2]


def test_deeply_nested_parentheses_is_a_clean_error():
    spec = "input 3x8x8 | conv " + "(" * 3000 + "3" + ")" * 3000 + " k1"
    r, seconds = timed(spec)
    no_traceback(r)
    assert r.exit_code == 2
    assert seconds < 2
    line, col, message, _, _ = diagnostic(r)
    assert line == 1 and "nest" in message


def test_moderate_nesting_is_fine():
    # 50 nested groups around one relu
    r = run("input 3x8x8 | " + "{ " * 50 + "relu" + " }" * 50)
    assert r.exit_code == 0


def test_chain_of_300_defs():
    spec = ("def d0 { relu }\n" + "".join(f"def d{i} {{ d{i - 1} }}\n" for i in range(1, 300))
            + "input 3x8x8\nd299")
    r, seconds = timed(spec)
    no_traceback(r)
    assert seconds < 2
    assert r.exit_code in (0, 2)
    if r.exit_code == 2:
        line, col, message, _, caret = diagnostic(r)
        assert 1 <= line <= 301
        assert caret.index("^") == 2 + col - 1


# Deep recursion that the nesting caps do not cover: long chains of unary minus, of binary
# operators, of labels and of repeats.  The command line's safety net turns a RecursionError
# into a bare "nests too deeply" (no position); the API must raise CnnCalcError.
DEEP = {
    "unary minus": "input 3x8x8 | conv " + "-" * 3000 + "3 k1",
    "flat sum": "input 1x8x8 | conv " + "+".join(["1"] * 3000) + " k1",
    "sum in parentheses": "input 1x8x8 | conv (" + " + ".join(["1"] * 3000) + ") k1",
    "labels": "input 3x8x8 | " + "".join(f"l{i}: " for i in range(3000)) + "relu",
    "repeats": "input 3x8x8 | relu" + " * 1" * 3000,
}


@pytest.mark.parametrize("name", list(DEEP))
def test_deep_chains_exit_cleanly_on_the_command_line(name):
    r = run(DEEP[name])
    no_traceback(r)
    assert r.exit_code in (0, 2)
    if r.exit_code == 2:
        assert "error" in r.stderr


@pytest.mark.parametrize("name", list(DEEP))
def test_deep_chains_never_leak_recursion_error_from_the_api(name):
    try:
        r = cnncalc.analyze(DEEP[name])
    except cnncalc.CnnCalcError as e:
        assert e.line == 1
        return
    # a result is acceptable too: 3000 ones make 3000 channels; the rest keep 3x8x8
    if "sum" in name:
        assert r.totals.output_shape == (3000, 8, 8)


# --- spec files -------------------------------------------------------------------------------

def file_error(result):
    no_traceback(result)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error:" in result.stderr
    return result.stderr


def test_missing_file(tmp_path):
    path = tmp_path / "nope.cnn"
    err = file_error(run(str(path)))
    assert str(path) in err and "no such file" in err


def test_directory(tmp_path):
    err = file_error(run(str(tmp_path)))
    assert "directory" in err


def test_binary_file(tmp_path):
    path = tmp_path / "net.cnn"
    path.write_bytes(b"input 1x8x8\x00\x01\x02 | relu")
    err = file_error(run(str(path)))
    assert "binary" in err


def test_non_utf8_file(tmp_path):
    path = tmp_path / "net.cnn"
    path.write_bytes(b"input 1x8x8\n# caf\xe9\nrelu\n")
    err = file_error(run(str(path)))
    assert "UTF-8" in err and "0xe9" in err
    # line 2 is "# caf\xe9": the bad byte is its 6th character
    assert f"{path}:2:6: error:" in err


def test_file_over_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(cnncalc.loading, "MAX_SPEC_BYTES", 100)
    path = tmp_path / "big.cnn"
    text = "input 1x8x8\n" + "relu\n" * 30          # 12 + 5·30 = 162 bytes > 100
    path.write_text(text)
    err = file_error(run(str(path)))
    assert "162" in err and "100" in err and "limit" in err


def test_file_at_the_size_limit_is_read(tmp_path, monkeypatch):
    text = "input 1x8x8\n" + "relu\n" * 30          # 162 bytes
    monkeypatch.setattr(cnncalc.loading, "MAX_SPEC_BYTES", 162)
    path = tmp_path / "net.cnn"
    path.write_text(text)
    assert run(str(path)).exit_code == 0


def test_default_size_limit_is_sane():
    assert 1_000_000 <= cnncalc.loading.MAX_SPEC_BYTES <= 100_000_000


def test_bom_crlf_and_tabs(tmp_path):
    path = tmp_path / "net.cnn"
    path.write_bytes(b"\xef\xbb\xbf# net\r\ninput 1x8x8\r\n\tconv 4 k3\t| relu\r\n")
    r = run(str(path), "--json")
    assert r.exit_code == 0, r.output
    import json
    data = json.loads(r.stdout)
    assert data["totals"]["output_shape"] == [4, 6, 6]     # 8 - 3 + 1
    assert data["layers"][0]["line"] == 3


def test_error_position_in_a_file_with_bom_crlf_and_tabs(tmp_path):
    path = tmp_path / "net.cnn"
    path.write_bytes(b"\xef\xbb\xbfinput 1x8x8\r\n\tconv 1 k3\r\n\tconv 1 k99\r\n")
    r = run(str(path))
    no_traceback(r)
    assert r.exit_code == 2
    line, col, message, shown, caret = diagnostic(r, name=str(path))
    # line 3 is "\tconv 1 k99": the tab is column 1, so k99 starts at column 9;
    # 8 - 3 + 1 = 6 and 99 > 6
    assert (line, col) == (3, 9)
    assert "kernel 99 is larger than the padded input 6" in message
    assert shown == "   conv 1 k99"        # two-space indent, the tab shown as one space
    assert caret.index("^") == 2 + col - 1


def test_error_in_a_file_names_the_file(tmp_path):
    path = tmp_path / "net.cnn"
    spec = "input 1x8x8\nconv 4 k3 | maxpol k2\n"
    path.write_text(spec)
    r = run(str(path))
    assert r.exit_code == 2
    line, col, _, _, _ = diagnostic(r, name=str(path))
    assert (line, col) == pos(spec, "maxpol")


def test_spec_from_stdin():
    r = run("-", input="input 1x4x4 | conv 1 k5\n")
    assert r.exit_code == 2
    line, col, message, _, _ = diagnostic(r, name="<stdin>")
    assert (line, col) == (1, pos("input 1x4x4 | conv 1 k5", "k5")[1])


def test_form_feed_does_not_shift_the_shown_line():
    spec = "input 1x8x8 # page\x0c break\nconv 1 k99"
    # 99 > 8, on line 2
    expect_error(spec, "k99", "kernel 99")


def test_an_error_inside_a_def_names_the_use_that_failed():
    # 16 -> (16 - 3)//1 + 1 = 14 -> (14 - 3)//2 + 1 = 6 -> (6 - 3)//9 + 1 = 1: the first
    # three calls fit, the fourth meets a 1x1 input with a 3x3 kernel
    spec = ("def blk(c, s) { conv c k3 s=s | relu }\n"
            "input 3x16x16\n"
            "blk(8, 1) | blk(8, 2) | blk(8, 9) | blk(8, 1)")
    message = expect_error(spec, "k3", "kernel 3 is larger than the padded input 1")
    assert message.endswith("(at blk4.conv1)")
