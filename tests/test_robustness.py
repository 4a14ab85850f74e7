"""Whatever is typed, cnncalc answers with a result or a located CnnCalcError — never another
exception (a traceback for the user). Hypothesis builds specs from the language's own words
and from arbitrary text."""

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.render.json import render as render_json

WORDS = ["input", "3x8x8", "1x16x16", "8x5", "50", "conv", "dwconv", "deconv", "maxpool",
         "avgpool", "fc", "bn", "relu", "embed", "upsample", "pad", "shuffle", "dropout",
         "flatten", "k3", "s2", "p1", "d2", "g2", "k=3", "p=same", "p=full", "op1", "ceil",
         "global", "out=2x2", "nobias", "residual", "shortcut", "add", "concat", "mul",
         "split", "{", "}", "(", ")", "|", "\n", "*", "2", "0", "-1", "def", "f(c)", "f(8)",
         "c", "x:", ":", "=", ",", "/", "//", "%", "+", "-", "0.5", "layout=hwc", "batch=2",
         "#", "3,H,W", "H", "×", ";", "\t", "\\", "99999999999999999999", "1x1x1x1x1"]

SETTINGS = settings(max_examples=int(os.environ.get("CNNCALC_EXAMPLES", "200")),
                    deadline=None, suppress_health_check=[HealthCheck.too_slow])


def answers_cleanly(text):
    try:
        report = cnncalc.analyze(text)
    except cnncalc.CnnCalcError as e:
        rendered = e.render()
        assert "error:" in rendered
        if e.span is not None:  # located: FILE:LINE:COL, the line, a caret
            assert rendered.startswith(f"{e.span.source.name}:{e.line}:{e.col}: error: ")
            assert "^" in rendered.splitlines()[-1]
        return
    render_json(report)


@SETTINGS
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30), st.sampled_from([" ", ""]))
def test_any_sequence_of_words(words, glue):
    answers_cleanly("input 3x8x8 " + glue.join(words))


@SETTINGS
@given(st.text(max_size=60))
def test_any_text(text):
    answers_cleanly(text)


# --- inputs that once escaped (issue 15, point 8), on every command ----------------------------
#
# Each was found by a fuzzer as a Python exception that reached the user. Every command that
# reads a spec must now give the located error (exit 2) or, where the spec is valid, its answer.

import re
from fractions import Fraction

import pytest
from click.testing import CliRunner

from cnncalc.cli import main

COMMANDS = {
    "analyze": ["analyze"], "analyze --json": ["analyze", "--json"],
    "analyze markdown": ["analyze", "--format", "markdown"],
    "analyze csv": ["analyze", "--format", "csv"], "explain": ["explain"],
    "explain --json": ["explain", "--json"], "solve": ["solve", None, "--max-params", "10"],
    "run": ["run"], "verify": ["verify"],
}
B = 10 ** 300 - 1          # the largest number of 300 digits: 999…9
REPEATS = "9" * 20          # 99,999,999,999,999,999,999: more than a list can hold


def invoke(command, spec, input=None):
    args = [spec if a is None else a for a in COMMANDS[command]]
    if None not in COMMANDS[command]:
        args.insert(1, spec)
    return CliRunner().invoke(main, args, input=input)


def located(result, spec, needle, name="<spec>"):
    """Exit 2, no traceback, and the error at the first `needle` of `spec`, with its caret."""
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    i = spec.index(needle) + (len(needle) if needle.startswith("def ") else 0)
    line = spec.count("\n", 0, i) + 1
    col = i - (spec.rfind("\n", 0, i) + 1) + 1
    lines = result.stderr.splitlines()
    at = next(i for i, text in enumerate(lines) if ": error: " in text)  # after any warning
    first, shown, caret = lines[at:at + 3]
    assert first.startswith(f"{name}:{line}:{col}: error: "), result.stderr
    assert caret.index("^") == 2 + col - 1 or len(shown) > 100  # a long line is windowed
    return first


ESCAPED = {
    # TypeError: a minus before a per-axis value negated the tuple
    "negative per-axis kernel": ("input 1x8x8 | conv 1 k=-3x3", "-3x3",
                                 "'k' must be at least 1, not -3"),
    "negative per-axis padding": ("input 1x8x8 | conv 1 k3 p=-1x1", "-1x1",
                                  "'p' must be at least 0, not -1"),
    # ZeroDivisionError / "Cannot get integer part of Complex Infinity": a divisor that is 0
    # only once multiplied out, (H + 1)(H − 1) − H² + 1 = 0
    "symbolic zero divisor": ("input 1xHxH | conv 1 k=(3//((H+1)*(H-1)-H*H+1))", "(3//",
                              "division by zero"),
    "symbolic zero stride": ("input 1xHxH | conv 1 k1 s=((H+1)*(H-1)-H*H+1)", "((H+1)",
                             "'s' must be at least 1, not 0"),
    "zero divisor": ("input 1xHxH | conv 1 k=(3//(H-H))", "(3//", "division by zero"),
    # ValueError at every print site: 10^4400, a jump of 4,400 strides of 10
    "4,400-digit jump": ("input 1x1 | maxpool k1 s10 * 4400", "maxpool",
                         "has more than 1,000 digits"),
    # four strides of B: a jump of B⁴ > 10^1,199
    "1,200-digit jump": (f"input 1x1 | maxpool k1 s={B} * 4", "maxpool",
                         "has more than 1,000 digits"),
    # a value computed past the digits a spec may write: B·B has 600
    "600-digit product": (f"input 1x4x4 | dropout ({B}*{B})", f"({B}*", "more than 300 digits"),
    # ValueError: Python reads at most 4,300 digits
    "5,000-digit decimal": ("input 1x4x4 | dropout 0." + "1" * 5000, "0.111",
                            "5,001 digits is too long"),
    # OverflowError: copies of an empty labelled group, beyond what a list holds
    # (each copy is a numbered container, and the label one more: 10^20 in all)
    "labelled empty repeat": (f"input 1x4x4 | relu | a: {{ }} * {REPEATS}", "a:",
                              "100,000,000,000,000,000,000 layers and blocks"),
    "empty labelled groups": ("input 1x4x4 | relu | { a: { } } * 10000000", "{ a:",
                              "10,000,000 layers and blocks"),
    # RecursionError: 60 defs, each 95 labels deep before it calls the next. The call of
    # d0 is level 1, its labels 2-96, the call of d1 97, and d1's labels 98, 99, 100 and
    # 101: the fourth label of line 2, after "def d1() { " and three "l: "
    "labels in defs": ("".join(f"def d{i}() {{ {'l: ' * 95}{f'd{i + 1}()' if i < 59 else 'relu'} }}\n"
                               for i in range(60)) + "input 1x4x4 | d0()",
                       "def d1() { l: l: l: ", "nest deeper than 100 levels"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(ESCAPED))
def test_what_once_escaped_is_a_located_error(case, command):
    spec, needle, message = ESCAPED[case]
    result = invoke(command, spec)
    if "jump" in case and command == "solve":
        # solve takes an error of the analysis (not of the spec's text) as "this candidate
        # fails": no solution, exit 1
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        return
    if case == "4,400-digit jump" and command.startswith("explain"):
        message = "4,400 layers and blocks"  # explain stops at 1,000 layers first
    first = located(result, spec, needle)
    assert message in first


def test_an_escape_through_labels_in_defs_is_located_in_the_api():
    spec, needle, message = ESCAPED["labels in defs"]
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.analyze(spec)
    assert message in e.value.message and e.value.span is not None


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in ("run", "verify")])
def test_an_empty_group_repeated_beyond_a_list_is_nothing(command):
    # OverflowError once: `{ }` is the identity, and so is any number of copies of it
    result = invoke(command, f"input 1x4x4 | relu | {{ }} * {REPEATS}")
    assert result.exit_code in (0, 1), result.output   # solve: 1, no names to solve for
    report = cnncalc.analyze(f"input 1x4x4 | relu | {{ }} * {REPEATS}")
    assert [r.kind for r in report.rows] == ["relu"]


def test_sizes_beyond_a_float_print_exactly():
    # OverflowError once (int → float): batch B makes the input 1·4·4·B elements of 4 bytes
    spec = f"input 1x4x4 batch={B} | conv 1 k1"
    text = invoke("analyze markdown", spec).stdout
    # 64·B bytes = (64·10^300 − 64)/10^6 MB, which rounds to 64·10^294 at two places
    assert f"**Input size (float32)**: {64 * 10 ** 294:,}.00 MB" in text
    # MACs: 1·1 weights x 16 positions x B = 16·B, shown exactly and in T as 16·10^288
    assert f"**MACs (whole batch)**: {16 * B:,} ({16 * 10 ** 288}.00 T)" in text
    for command in ("analyze", "analyze --json", "analyze csv", "explain", "explain --json"):
        assert invoke(command, spec).exit_code == 0


def test_a_centre_beyond_a_float_stays_exact_in_json():
    # OverflowError once: float() of a half too large. Three windows of 1 with stride B make
    # the jump B³; a window of 2 padded by 1 then centres at (2 − 1)/2·B³ − 1·B³ = −B³/2
    spec = (f"input 1x2x2 | maxpool k1 s={B} | maxpool k1 s={B} | maxpool k1 s={B} | "
            "maxpool k2 s1 p1")
    import json
    data = json.loads(invoke("analyze --json", spec).stdout)
    assert data["layers"][3]["start"] == [f"-{B ** 3}/2"] * 2
    assert data["layers"][3]["rf"] == [B ** 3 + 1] * 2      # 1 + (2 − 1)·B³
    # a half that a float holds stays a number: a window of 2 alone centres at 0.5
    data = json.loads(invoke("analyze --json", "input 1x4x4 | maxpool k2 s1").stdout)
    assert data["layers"][0]["start"] == [0.5, 0.5]


def test_a_stride_warning_with_huge_values():
    # OverflowError once (the worked sum as a float): (8 + 2B − 3)/B + 1 = 3 + 5/B, so the
    # sum shows 3.00 and the last B + 5 − B = 5 rows... are never used
    spec = f"input 1x8x8 | conv 1 k3 s={B} p={B}"
    result = invoke("analyze", spec)
    assert result.exit_code == 0, result.output
    assert "= 3.00, so the last 5 rows" in result.stderr


def test_binding_too_many_digits_is_refused():
    for args in (["analyze", "input 1xHxH | relu", "-D", "H=" + "1" * 5000],
                 ["solve", "input 1x7x7 | conv 1 k3 p=P", "--output", "1x7x7",
                  "--range", "P=0.." + "1" * 5000]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert "5,000 digits is too long" in result.output
    with pytest.raises(cnncalc.CnnCalcError, match="more than 300 digits"):
        cnncalc.analyze("input 1xHxH | relu", bindings={"H": 10 ** 5000})


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_invalid_utf8_is_located_in_characters(tmp_path, bom):
    # line 1 holds three two-byte characters and line 2 one, so counting bytes put the bad
    # byte on line 4; it is the 11th character of line 3 ("conv 1 k3 " is 10)
    data = bom + "input 1x4x4 # ééé\n# ü\nconv 1 k3 ".encode() + b"\xff\n"
    path = tmp_path / "net.cnn"
    path.write_bytes(data)
    for result, name in ((CliRunner().invoke(main, ["analyze", str(path)]), str(path)),
                         (CliRunner().invoke(main, ["analyze", "-"], input=data), "<stdin>")):
        assert result.exit_code == 2
        assert result.stderr.startswith(f"{name}:3:11: error: not UTF-8 text (byte 0xff)")
        assert result.stderr.splitlines()[2].index("^") == 2 + 10


# --- the limits on values (issue 15, point 9) ----------------------------------------------------

def squaring(depth, argument, body="(a*a)"):
    return ("".join(f"def f{i}(a) {{ f{i + 1}({body}) }}\n" for i in range(depth))
            + f"def f{depth}(a) {{ conv (a) k1 }}\ninput 1x4x4 | f0({argument})")


def test_defs_squaring_a_number_stop_at_300_digits():
    # f(i) squares 2^(2^i): f9 computes 2^1024 > 10^300 (2^997 ≈ 10^300), on line 10, in
    # "def f9(a) { f10((a*a)) }" after 16 characters
    spec = squaring(33, "2")
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.analyze(spec)
    assert (e.value.line, e.value.col) == (10, 17)
    assert "more than 300 digits" in e.value.message


def test_defs_squaring_a_name_stop_at_degree_8():
    # a ↦ a·a + a doubles the degree: H (1), 2, 4, 8, and f3's a·a is 16 > 8, on line 4
    spec = squaring(6, "H", "(a*a+a)")
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.analyze(spec)
    assert (e.value.line, e.value.col) == (4, 17)
    assert "degree 16, above 8" in e.value.message


def test_a_formula_of_many_terms_once_multiplied_out_is_refused():
    # (A + B + C + D + E + F)·(G + I + J + L + M + N)·(O + Q + R + T + U + V) has
    # 6·6·6 = 216 > 100 terms multiplied out (degree 3, 38 parts)
    names = "ABCDEFGIJLMNOQRTUV"
    sums = ["(" + "+".join(names[i:i + 6]) + ")" for i in (0, 6, 12)]
    with pytest.raises(cnncalc.CnnCalcError, match="more than 100 terms"):
        cnncalc.analyze(f"input 1x8x8 | conv ({'*'.join(sums)}) k1")
    # two of them, 36 terms, are fine
    report = cnncalc.analyze(f"input 1x8x8 | conv ({'*'.join(sums[:2])}) k1")
    assert len(report.rows) == 1


def test_every_node_counts_toward_the_layer_cap():
    # a call and a labelled group hold no layer of their own, but are walked: 5,001 calls
    # of a def holding one relu are 2 nodes each, 10,002 > 10,000
    spec = "def one { relu }\ninput 1x4x4 | one * 5001"
    with pytest.raises(cnncalc.CnnCalcError, match="10,002 layers and blocks"):
        cnncalc.analyze(spec)
    # 5,000 of them are 10,000: at the cap, accepted
    assert len(cnncalc.analyze("def one { relu }\ninput 1x4x4 | one * 5000").rows) == 5000


def test_decimal_text_is_exact_beyond_a_float():
    from cnncalc.numbers import decimal_text, exact_float
    assert decimal_text(Fraction(4089184256, 10 ** 9), ".2f") == "4.09"   # as a float prints
    # 10^400 + 10^398/2 over 10^6 is 10^394 + 0.5·10^392: every digit, no overflow
    assert decimal_text(Fraction(10 ** 400 + 10 ** 398 // 2, 10 ** 6), ",.2f") == \
        f"{10 ** 394 + 5 * 10 ** 391:,}.00"
    # beyond 2^53 a float would print made-up digits: 2^60 + 1 is odd, so ends in 7
    assert decimal_text(2 ** 60 + 1, ".0f") == "1152921504606846977"
    assert exact_float(Fraction(1, 2)) == 0.5
    assert exact_float(Fraction(2 ** 60 + 1, 2)) is None     # no float is 2^59 + 1/2
    assert exact_float(Fraction(10 ** 400, 2)) is None        # too large for any float


def test_a_size_with_names_has_at_most_100_parts():
    # a stride S under ceil mode: each pool wraps the size in a min of two ceilings, so two
    # are 85 parts (tests/test_symbolic.py reads them back) and a third is beyond 100
    two = "input 2xH | maxpool k2 s=S ceil | maxpool k2 s=S ceil"
    assert len(cnncalc.analyze(two).rows) == 2
    with pytest.raises(cnncalc.CnnCalcError, match="more than 100 parts") as e:
        cnncalc.analyze(two + " | maxpool k2 s=S ceil")
    assert e.value.col == len(two) + 4      # the third maxpool, after " | "


def test_a_receptive_field_formula_that_nests_without_end_is_refused():
    # EfficientNet with the kernel and stride of each stage's first block as a name: where a
    # residual block meets its shortcut, the field is the larger of the two, which the name
    # leaves undecided, so a maximum nests in every block (minutes in sympy before the limit)
    text = (Path(__file__).parent / "regressions" /
            "symbolic-kernel-stride-efficientnet.cnn").read_text()
    with pytest.raises(cnncalc.CnnCalcError) as raised:
        cnncalc.analyze(text)
    assert raised.value.message.startswith("the receptive field of stage")
    assert "is a formula of more than 300 parts" in raised.value.message
    # the same net with the names given values is analysed: -D n3=3 is the original's k3 s2
    report = cnncalc.analyze(text, bindings={"n3": 3})
    assert report.totals.output_shape == (1000,)
