"""Lexer and parser: tokens, values written tight or loose, options, separators, blocks,
defs, labels, inputs, symbols and source positions (dsl.md sections 1, 2, 3 and 6).

Expected trees are written by hand from the grammar in dsl.md; expected numbers come from the
arithmetic in the comments next to them.
"""

import pytest

import cnncalc
from cnncalc import ir
from cnncalc.build import build
from cnncalc.errors import CnnCalcError, Source
from cnncalc.syntax import parse
from cnncalc.syntax import tree as t
from cnncalc.syntax.lexer import EOF, NEWLINE, OP, WORD, tokenize


# --- helpers ----------------------------------------------------------------------------

def src(text):
    return Source("<spec>", text)


def P(text):
    return parse(src(text))


def B(text):
    return build(P(text))


def toks(text):
    return [(k.kind, k.text, k.space_before) for k in tokenize(src(text))]


def expr(e):
    """A value as fully parenthesised text: `4*c` -> `(4 * c)`."""
    if isinstance(e, t.Num):
        return str(e.value)
    if isinstance(e, t.Name):
        return e.name
    if isinstance(e, t.BinOp):
        return f"({expr(e.left)} {e.op} {expr(e.right)})"
    if isinstance(e, t.Neg):
        return f"(-{expr(e.operand)})"
    if isinstance(e, t.PerAxis):
        return "x".join(expr(i) for i in e.items)
    raise AssertionError(e)


def arg(a):
    if isinstance(a, t.Named):
        return f"{a.name}={expr(a.value)}"
    return expr(a.value)


def show(s):
    """A statement as compact text: `conv[64, k3, p=1]`, `(…)*2`, `add{…}{…}`."""
    if isinstance(s, t.Apply):
        inner = ", ".join(arg(a) for a in s.args)
        return f"{s.name}({inner})" if s.parens else f"{s.name}[{inner}]"
    if isinstance(s, t.Group):
        return "{" + "; ".join(show(x) for x in s.body) + "}"
    if isinstance(s, t.Block):
        text = s.kind + "".join(show(g) for g in s.branches)
        if s.shortcut is not None:
            text += " shortcut" + show(s.shortcut)
        return text
    if isinstance(s, t.Repeat):
        return f"({show(s.body)})*{expr(s.count)}"
    if isinstance(s, t.Labeled):
        return f"{s.label}: {show(s.body)}"
    raise AssertionError(s)


def body(text):
    return [show(s) for s in P(text).body]


def pos(text, needle, nth=0):
    """(line, col), 1-based, of the nth occurrence of `needle` in `text`."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


def at(span):
    return span.line, span.col


def out_shape(text):
    r = cnncalc.analyze(text)
    return r.display_shape(r.totals.output_shape)


def layers(net):
    """The leaf layers of a net, in order, with repeats expanded."""
    found = []

    def walk(node):
        if isinstance(node, ir.Layer):
            found.append(node)
        elif isinstance(node, ir.Seq):
            for item in node.items:
                walk(item)
        else:
            for br in node.branches:
                walk(br)

    walk(net.body)
    return found


# --- lexer ------------------------------------------------------------------------------

def test_tokens_and_space_before_flags():
    assert toks("conv 4*c k3 p=1 * 2") == [
        (WORD, "conv", True),   # a line start counts as space
        (WORD, "4", True),
        (OP, "*", False),       # tight: part of the value 4*c
        (WORD, "c", False),
        (WORD, "k3", True),
        (WORD, "p", True),
        (OP, "=", False),
        (WORD, "1", False),
        (OP, "*", True),        # standing apart: a repeat
        (WORD, "2", True),
        (EOF, "", True),
    ]


def test_floor_division_is_one_token_and_parentheses_are_ops():
    assert toks("(k-1)//2") == [
        (OP, "(", True), (WORD, "k", False), (OP, "-", False), (WORD, "1", False),
        (OP, ")", False), (OP, "//", False), (WORD, "2", False), (EOF, "", True)]


def test_words_hold_shapes_decimals_and_times_sign():
    assert [k[1] for k in toks("input 3x224x224 | dropout 0.5 | x 32×32×3")][:-1] == [
        "input", "3x224x224", "|", "dropout", "0.5", "|", "x", "32×32×3"]


def test_comments_vanish_but_mark_space():
    assert toks("relu # a comment | conv\nbn") == [
        (WORD, "relu", True), (NEWLINE, "\n", True), (WORD, "bn", True), (EOF, "", True)]


def test_semicolon_is_a_newline_token():
    kinds = [k[0] for k in toks("relu; bn")]
    assert kinds == [WORD, NEWLINE, WORD, EOF]


def test_newlines_inside_parentheses_are_white_space():
    # inside ( ) a line break only separates, so `f(4,\n 3)` is one statement
    assert [k[:2] for k in toks("f(4,\n 3)\nrelu")] == [
        (WORD, "f"), (OP, "("), (WORD, "4"), (OP, ","), (WORD, "3"), (OP, ")"),
        (NEWLINE, "\n"), (WORD, "relu"), (EOF, "")]


def test_token_positions():
    toks_ = tokenize(src("input 1x8x8\n  conv 4 k3"))
    conv = [k for k in toks_ if k.text == "conv"][0]
    # "input 1x8x8\n" is 12 characters, then two spaces
    assert (conv.start, conv.end) == (14, 18)


def test_unexpected_character_is_located():
    text = "input 1x8x8 | relu @"
    with pytest.raises(CnnCalcError) as e:
        tokenize(src(text))
    assert "'@'" in e.value.message
    assert (e.value.line, e.value.col) == (1, 20)   # 19 characters come before '@'


def test_unprintable_character_is_named_by_code_point():
    with pytest.raises(CnnCalcError) as e:
        tokenize(src("relu \x07"))
    assert "U+0007" in e.value.message
    assert e.value.col == 6


def test_full_width_forms_are_read_as_ascii_in_place():
    # ｜ ， （ ） from a Chinese input method, and the ideographic space U+3000
    text = "blk（4，2）｜relu\u3000bn"
    assert toks(text) == [
        (WORD, "blk", True), (OP, "(", False), (WORD, "4", False), (OP, ",", False),
        (WORD, "2", False), (OP, ")", False), (OP, "|", False), (WORD, "relu", False),
        (WORD, "bn", True), (EOF, "", True)]
    # one character for one: "blk（4，2）｜" is 9 characters, so relu starts at 9
    relu = [k for k in tokenize(src(text)) if k.text == "relu"][0]
    assert (relu.start, relu.end) == (9, 13)


def test_an_unexpected_full_width_character_is_named_as_written():
    with pytest.raises(CnnCalcError) as e:
        tokenize(src("relu ＂"))
    assert e.value.message == "unexpected character '＂'"
    assert e.value.col == 6


def test_a_byte_order_mark_is_dropped_before_parsing():
    sp = P("\ufeffinput 1x4x4 | relu")
    assert [expr(d) for d in sp.input.dims] == ["1", "4", "4"]
    assert sp.source.text == "input 1x4x4 | relu"


@pytest.mark.parametrize("text, parts", [
    ("3X32X32", ["3", "32", "32"]),      # numbers only: a capital X separates
    ("3x32X32", ["3", "32", "32"]),
    ("CxHxW", ["C", "H", "W"]),
    ("HXW", ["HXW"]),                     # between letters it is a letter of the name
    ("3xHXW", ["3", "HXW"]),
])
def test_axis_split(text, parts):
    from cnncalc.syntax.parser import axis_split
    assert axis_split(text) == parts


def test_keywords_in_any_case_parse_as_keywords():
    assert body("ADD { } { relu } | Residual { relu } SHORTCUT { bn }") == [
        "add{}{relu[]}", "residual{relu[]} shortcut{bn[]}"]
    sp = P("DEF blk { relu }\nINPUT 1x4x4 | blk")
    assert [d.name for d in sp.defs] == ["blk"]
    assert sp.input is not None


def test_pytorch_tuples_are_kept_for_build_to_refuse():
    (a,) = P("conv 4 k=(3, 5) s2,2 k3,3").body
    _, k, s2, k3 = a.args
    assert isinstance(k.value, t.Tuple) and [expr(i) for i in k.value.items] == ["3", "5"]
    assert k.value.span.text == "(3, 5)"
    assert isinstance(s2.value, t.Tuple) and [expr(i) for i in s2.value.items] == ["s2", "2"]
    assert k3.value.span.text == "k3,3"


# --- values: tight vs loose ---------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("conv 4*c k3", "(4 * c)"),
    ("conv c/4 k3", "(c / 4)"),
    ("conv (k-1)//2 k3", "((k - 1) // 2)"),
    ("conv (c * 4) k3", "(c * 4)"),              # spaces allowed inside ( )
    ("conv 2+3*4 k3", "(2 + (3 * 4))"),          # * binds tighter than +
    ("conv (2+3)*4 k3", "((2 + 3) * 4)"),
    ("conv 10-4-3 k3", "((10 - 4) - 3)"),         # left-associative
    ("conv 7%4 k3", "(7 % 4)"),
    ("conv -c k3", "(-c)"),
])
def test_values_written_tight(text, value):
    (s,) = P(text).body
    assert isinstance(s, t.Apply) and s.name == "conv"
    assert expr(s.args[0].value) == value
    assert arg(s.args[1]) == "k3"


def test_tight_arithmetic_evaluates():
    # 2+3*4 = 14 output channels; (10-4-3) = 3; 7%4 = 3; 12/4 = 3; (7-1)//2 = 3
    assert out_shape("input 1x8x8 | conv 2+3*4 k1")[0] == 14
    assert out_shape("input 1x8x8 | conv 10-4-3 k1")[0] == 3
    assert out_shape("input 1x8x8 | conv 7%4 k1")[0] == 3
    assert out_shape("input 1x8x8 | conv 12/4 k1")[0] == 3
    assert out_shape("input 1x8x8 | conv (7-1)//2 k1")[0] == 3


def test_spaced_star_after_statement_is_a_repeat():
    # `conv 64 k3 p=1 * 2` is two layers with padding 1, not p = 1*2
    assert body("input 3x8x8 | conv 64 k3 p=1 * 2") == ["(conv[64, k3, p=1])*2"]
    assert body("input 3x8x8 | conv 64 k3 p1 * 2") == ["(conv[64, k3, p1])*2"]
    assert body("input 3x8x8 | conv 64 k3 p1 *2") == ["(conv[64, k3, p1])*2"]


def test_repeat_of_padded_conv_numbers():
    net = B("input 3x8x8 | conv 64 k3 p=1 * 2")
    convs = layers(net)
    assert len(convs) == 2
    assert [c.opts["p"] for c in convs] == [1, 1]
    r = cnncalc.analyze("input 3x8x8 | conv 64 k3 p=1 * 2")
    assert [row.output_shape for row in r.rows] == [(64, 8, 8), (64, 8, 8)]  # 8 + 2 - 3 + 1
    # 3·64·9 + 64 = 1,792 and 64·64·9 + 64 = 36,928
    assert r.totals.params == 1792 + 36928


def test_tight_star_inside_a_value_is_multiplication():
    assert body("input 3x8x8 | conv 64 k3 p=1*2") == ["conv[64, k3, p=(1 * 2)]"]


def test_call_arguments_may_have_spaces():
    (s,) = P("se(inp*t, inp // 4)").body
    assert s.parens
    assert [arg(a) for a in s.args] == ["(inp * t)", "(inp // 4)"]


def test_operator_followed_by_space_is_an_error():
    with pytest.raises(CnnCalcError) as e:
        P("conv 4* 2 k3")
    assert e.value.col == pos("conv 4* 2 k3", "*")[1]


def test_repeat_count_then_more_options_is_an_error():
    # `conv 4 * 2 k3`: `* 2` is a repeat, so k3 cannot follow it
    text = "input 1x8x8 | conv 4 * 2 k3"
    with pytest.raises(CnnCalcError) as e:
        P(text)
    assert at(e.value.span) == pos(text, "k3")


def test_decimal_rate():
    (s,) = P("dropout 0.25").body
    from fractions import Fraction
    assert s.args[0].value.value == Fraction(1, 4)


# --- options ------------------------------------------------------------------------------

def test_fused_options_resolve():
    (conv,) = layers(B("input 4x8x8 | conv 8 k3 s2 p1 d2 g4"))
    assert {k: conv.opts[k] for k in ("out", "k", "s", "p", "d", "g")} == dict(
        out=8, k=3, s=2, p=1, d=2, g=4)
    # span 2·(3-1)+1 = 5; floor((8 + 2 - 5)/2) + 1 = 3; params (4/4)·8·9 + 8 = 80
    r = cnncalc.analyze("input 4x8x8 | conv 8 k3 s2 p1 d2 g4")
    assert r.totals.output_shape == (8, 3, 3)
    assert r.totals.params == 80


def test_fused_per_axis_kernel():
    (conv,) = layers(B("input 1x8x8 | conv 4 k3x5"))
    assert conv.opts["k"] == (3, 5)
    # rows 8 - 3 + 1 = 6, columns 8 - 5 + 1 = 4; params 1·4·15 + 4 = 64
    r = cnncalc.analyze("input 1x8x8 | conv 4 k3x5")
    assert r.totals.output_shape == (4, 6, 4)
    assert r.totals.params == 64


def test_named_options_and_long_names():
    (conv,) = layers(B("input 1x8x8 | conv 8 k=3 stride=2 p=1x2 dilation=1 bias=false"))
    assert conv.opts["k"] == 3
    assert conv.opts["s"] == 2
    assert conv.opts["p"] == (1, 2)
    assert conv.opts["bias"] is False
    # rows floor((8 + 2 - 3)/2) + 1 = 4, columns floor((8 + 4 - 3)/2) + 1 = 5
    assert out_shape("input 1x8x8 | conv 8 k=3 stride=2 p=1x2") == [8, 4, 5]


def test_flags():
    (conv,) = layers(B("input 1x8x8 | conv 8 k3 nobias"))
    assert conv.opts["bias"] is False
    assert cnncalc.analyze("input 1x8x8 | conv 8 k3 nobias").totals.params == 72  # 1·8·9
    (pool,) = layers(B("input 1x8x8 | avgpool global"))
    assert pool.opts["global"] is True


@pytest.mark.parametrize("word, shape", [
    ("same", [4, 8, 8]),    # ceil(8/1) = 8
    ("valid", [4, 6, 6]),   # p = 0: 8 - 3 + 1 = 6
    ("full", [4, 10, 10]),  # p = d(k-1) = 2 per side: 8 + 4 - 3 + 1 = 10
])
def test_padding_keywords(word, shape):
    text = f"input 1x8x8 | conv 4 k3 p={word}"
    (conv,) = layers(B(text))
    assert conv.opts["p"] == word
    assert out_shape(text) == shape


def test_same_padding_with_stride():
    # ceil(7/2) = 4 (total padding (4-1)·2 + 3 - 7 = 2)
    assert out_shape("input 1x7x7 | conv 4 k3 s2 p=same") == [4, 4, 4]


def test_name_before_equals_with_space_is_rejected():
    text = "input 1x8x8 | conv 4 k3 s= 2"
    with pytest.raises(CnnCalcError) as e:
        P(text)
    assert at(e.value.span) == pos(text, "2")      # the value after the space


# --- separators and continuation ----------------------------------------------------------

SAME_NET = ["conv[4, k3]", "relu[]", "maxpool[k2]"]


@pytest.mark.parametrize("text", [
    "input 1x8x8 | conv 4 k3 | relu | maxpool k2",
    "input 1x8x8\nconv 4 k3\nrelu\nmaxpool k2\n",
    "input 1x8x8; conv 4 k3; relu; maxpool k2",
    "input 1x8x8 |\nconv 4 k3 |\n  relu |\n  maxpool k2",          # trailing |
    "input 1x8x8\n| conv 4 k3\n| relu\n| maxpool k2",               # leading |
    "# LeNet-ish\ninput 1x8x8  # the input\n\nconv 4 k3 # c\n# only a comment\nrelu | maxpool k2",
    "input 1x8x8 | conv 4 k3 | # comment after the pipe\n relu | maxpool k2",
    "input 1x8x8 | conv 4 k3 | | relu ;; maxpool k2 |",
    "\n\n  input 1x8x8\r\n\tconv 4 k3\r\n\trelu\r\n\tmaxpool k2\r\n",
])
def test_statement_separators(text):
    assert P(text).input is not None
    assert body(text) == SAME_NET


def test_continuation_inside_braces():
    text = "input 1x8x8\nresidual {\n  conv 1 k3 p1\n  relu\n}\n"
    assert body(text) == ["residual{conv[1, k3, p1]; relu[]}"]


def test_continuation_inside_parentheses():
    assert body("f(4,\n  3)") == ["f(4, 3)"]
    assert body("conv (4 *\n  2) k3") == ["conv[(4 * 2), k3]"]


def test_newline_ends_a_statement_outside_brackets():
    # without a trailing |, `k3` on the next line is a statement of its own
    assert body("conv 4\nk3") == ["conv[4]", "k3[]"]


# --- groups, repeats, blocks --------------------------------------------------------------

def test_group_repeat():
    assert body("{ conv 64 k3 p1 | relu } * 2") == ["({conv[64, k3, p1]; relu[]})*2"]
    assert body("{ relu }*3") == ["({relu[]})*3"]


def test_group_repeat_expands():
    net = B("input 2x8x8 | { conv 2 k3 p1 | relu } * 3")
    assert [l.kind.name for l in layers(net)] == ["conv", "relu"] * 3


def test_repeat_of_repeat():
    assert body("{ { relu } * 2 } * 3") == ["({({relu[]})*2})*3"]
    assert len(layers(B("input 1x4x4 | { { relu } * 2 } * 3"))) == 6   # 2·3


def test_repeat_count_may_be_a_def_parameter():
    net = B("def f(n) { relu * n }\ninput 1x4x4\nf(4)")
    assert len(layers(net)) == 4


def test_residual_identity():
    (b,) = P("residual { conv 64 k3 p1 | bn }").body
    assert isinstance(b, t.Block) and b.kind == "residual"
    assert b.shortcut is None
    assert show(b) == "residual{conv[64, k3, p1]; bn[]}"


def test_residual_with_shortcut():
    text = "residual { conv 128 k3 s2 p1 | bn } shortcut { conv 128 k1 s2 | bn }"
    (b,) = P(text).body
    assert show(b) == "residual{conv[128, k3, s2, p1]; bn[]} shortcut{conv[128, k1, s2]; bn[]}"


def test_shortcut_on_the_next_line():
    text = "residual { conv 4 k3 s2 p1 }\n  shortcut { conv 4 k1 s2 }"
    assert body(text) == ["residual{conv[4, k3, s2, p1]} shortcut{conv[4, k1, s2]}"]
    # (8 + 2 - 3)//2 + 1 = 4 on the main path, (8 - 1)//2 + 1 = 4 on the shortcut
    assert out_shape("input 1x8x8\n" + text) == [4, 4, 4]


def test_residual_followed_by_a_group_on_the_next_line():
    # residual has one branch, so a { } on the next line is a statement of its own
    assert body("residual { relu }\n{ bn }") == ["residual{relu[]}", "{bn[]}"]


@pytest.mark.parametrize("kind", ["add", "concat", "mul", "split"])
def test_multi_branch_blocks_with_identity(kind):
    (b,) = P(f"{kind} {{ conv 4 k1 }} {{ }}").body
    assert b.kind == kind
    assert len(b.branches) == 2
    assert b.branches[1].body == ()          # { } is the identity


def test_branches_may_begin_on_the_next_line():
    text = "concat { conv 2 k1 }\n  { conv 3 k1 }\n  { }\nrelu"
    assert body(text) == ["concat{conv[2, k1]}{conv[3, k1]}{}", "relu[]"]
    # channels 2 + 3 + 1 = 6
    assert out_shape("input 1x8x8\n" + text) == [6, 8, 8]


def test_block_numbers():
    # add: identity 4 + conv 4 -> 4x8x8
    assert out_shape("input 4x8x8 | add { conv 4 k1 } { }") == [4, 8, 8]
    # mul broadcasts 4x1x1 over 4x8x8
    assert out_shape("input 4x8x8 | mul { } { avgpool global | conv 4 k1 | sigmoid }") == [4, 8, 8]
    # split: 4 channels, 2 each; identity 2 + conv 2 -> 4
    r = cnncalc.analyze("input 4x8x8 | split { } { conv 2 k1 }")
    assert r.totals.output_shape == (4, 8, 8)
    assert r.totals.params == 2 * 2 + 2          # the conv sees 2 channels: 2·2 + 2


def test_block_repeat():
    assert body("residual { relu } * 2") == ["(residual{relu[]})*2"]


# --- definitions --------------------------------------------------------------------------

def test_def_with_defaults():
    sp = P("def basic(c, s=1) {\n  conv c k3 s=s p1\n  relu\n}\ninput 3x8x8\nbasic(4)")
    (d,) = sp.defs
    assert d.name == "basic"
    assert [p.name for p in d.params] == ["c", "s"]
    assert d.params[0].default is None
    assert expr(d.params[1].default) == "1"
    assert [show(s) for s in d.body] == ["conv[c, k3, s=s, p1]", "relu[]"]
    assert [show(s) for s in sp.body] == ["basic(4)"]


def test_def_calls_with_keywords_and_defaults():
    text = ("def f(c, o=c*2) { conv o k1 }\ninput 1x8x8\n"
            "f(3) | f(c=1, o=5) | f(o=2, c=9)")
    convs = layers(B(text))
    # o = 3·2 = 6; o = 5; o = 2
    assert [c.opts["out"] for c in convs] == [6, 5, 2]


def test_def_parameter_in_an_expression():
    # k=5: p = (5-1)//2 = 2, so 8 + 4 - 5 + 1 = 8
    text = "def f(c, k=3) { conv c k=k p=(k-1)//2 }\ninput 1x8x8\nf(4, k=5)"
    (conv,) = layers(B(text))
    assert (conv.opts["k"], conv.opts["p"]) == (5, 2)
    assert out_shape(text) == [4, 8, 8]


@pytest.mark.parametrize("header", ["def stem", "def stem()"])
@pytest.mark.parametrize("call", ["stem", "stem()"])
def test_def_without_parameters(header, call):
    text = f"{header} {{ conv 4 k3 | relu }}\ninput 1x8x8\n{call}"
    sp = P(text)
    assert sp.defs[0].params == ()
    assert [l.kind.name for l in layers(B(text))] == ["conv", "relu"]
    assert out_shape(text) == [4, 6, 6]      # 8 - 3 + 1


def test_def_body_brace_on_next_line():
    sp = P("def stem\n{\n  relu\n}\ninput 1x4x4\nstem")
    assert [show(s) for s in sp.defs[0].body] == ["relu[]"]


def test_nested_calls():
    text = ("def a(c) { conv c k1 }\ndef b(c) { a(c*2) | a(c/4) }\n"
            "input 1x8x8\nb(8)")
    convs = layers(B(text))
    assert [c.opts["out"] for c in convs] == [16, 2]     # 8·2, 8/4
    r = cnncalc.analyze(text)
    # an unlabelled call is its def's name and index; a layer its kind and index (dsl.md §6)
    assert [".".join(row.path) for row in r.rows] == ["b1.a1.conv1", "b1.a2.conv1"]
    # 1·16 + 16 = 32 and 16·2 + 2 = 34
    assert r.totals.params == 32 + 34


def test_call_repeat():
    text = "def blk(c) { conv c k3 p1 | relu }\ninput 2x8x8\nblk(2) * 3"
    assert body(text) == ["(blk(2))*3"]
    assert len(layers(B(text))) == 6


def test_dsl_resnet_example():
    text = """def basic(c, s=1) {
  residual { conv c k3 s=s p1 nobias | bn | relu | conv c k3 p1 nobias | bn }
  relu
}
def down(c) {
  residual { conv c k3 s2 p1 nobias | bn | relu | conv c k3 p1 nobias | bn } shortcut { conv c k1 s2 nobias | bn }
  relu
}
input 3x224x224
conv 64 k7 s2 p3 nobias | bn | relu | maxpool k3 s2 p1
basic(64) * 2
down(128) | basic(128)
"""
    # (224 + 6 - 7)//2 + 1 = 112; (112 + 2 - 3)//2 + 1 = 56; down: (56 + 2 - 3)//2 + 1 = 28
    assert out_shape(text) == [128, 28, 28]
    paths = [".".join(r.path) for r in cnncalc.analyze(text).rows]
    # merge blocks add no segment: the shortcut's conv is the third conv of the call
    assert "down1.conv1" in paths and "down1.conv2" in paths
    assert "down1.conv3" in paths and "down1.bn3" in paths
    assert "down1.add1" in paths and "basic3.relu2" in paths


# --- labels ---------------------------------------------------------------------------------

def test_label():
    (s,) = P("stem: conv 64 k7 s2 p3").body
    assert isinstance(s, t.Labeled) and s.label == "stem"
    assert show(s.body) == "conv[64, k7, s2, p3]"


def test_labels_name_rows():
    r = cnncalc.analyze("input 3x32x32 | stem: conv 4 k3 | head: fc 10")
    assert [".".join(row.path) for row in r.rows] == ["stem", "head"]


def test_label_on_a_group_and_on_a_block():
    assert body("g: { relu | bn }\nb: residual { relu }") == [
        "g: {relu[]; bn[]}", "b: residual{relu[]}"]


def test_label_named_input_is_a_label():
    sp = P("input 1x4x4\ninput: relu")
    assert [show(s) for s in sp.body] == ["input: relu[]"]


# --- inputs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, dims", [
    ("input 300x50", ["300", "50"]),                       # 1-D
    ("input 3x224x224", ["3", "224", "224"]),              # 2-D
    ("input 1x16x112x112", ["1", "16", "112", "112"]),     # 3-D
    ("input 3×32×32", ["3", "32", "32"]),
    ("input 3,32,32", ["3", "32", "32"]),
    ("input 3, 32, 32", ["3", "32", "32"]),
    ("input 50", ["50"]),
])
def test_input_dims(text, dims):
    sp = P(text + " | relu")
    assert [expr(d) for d in sp.input.dims] == dims


@pytest.mark.parametrize("text, shape", [
    ("input 300x50 | conv 100 k3", [100, 48]),                      # 50 - 3 + 1
    ("input 1x16x112x112 | conv 8 k3", [8, 14, 110, 110]),          # 16-3+1, 112-3+1
    ("input 3x32x32 | conv 16 k3 p1", [16, 32, 32]),
])
def test_one_two_three_dimensional_nets(text, shape):
    assert out_shape(text) == shape


def test_layout_hwc():
    sp = P("input 32x32x3 layout=hwc | conv 10 k5 s1 p2")
    assert [(o.name, expr(o.value)) for o in sp.input.options] == [("layout", "hwc")]
    net = B("input 32x32x3 layout=hwc | conv 10 k5 s1 p2")
    assert net.input.layout == "hwc"
    assert net.input.shape == (3, 32, 32)     # kept channels first inside
    # (32 + 4 - 5)/1 + 1 = 32, shown height x width x channels; 5·5·3·10 + 10 = 760
    r = cnncalc.analyze("input 32x32x3 layout=hwc | conv 10 k5 s1 p2")
    assert r.display_shape(r.totals.output_shape) == [32, 32, 10]
    assert r.totals.params == 760


def test_batch():
    net = B("input 3x32x32 batch=8 | conv 10 k5")
    assert net.input.batch == 8
    r = cnncalc.analyze("input 3x32x32 batch=8 | conv 10 k5")
    # per image 3·25·10 weights x 28·28 positions = 588,000 MACs; x 8 images
    assert r.totals.macs == 588_000 * 8
    assert r.totals.params == 760          # batch does not scale parameters


def test_input_options_both():
    net = B("input 32x16x3 layout=hwc batch=8 | relu")
    assert (net.input.shape, net.input.layout, net.input.batch) == ((3, 32, 16), "hwc", 8)


# --- symbols --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, names", [
    ("input 3xHxW | conv 16 k3", ["H", "W"]),
    ("input CxHxW | conv 16 k3", ["C", "H", "W"]),
    ("input 3,H,W | conv 16 k3", ["H", "W"]),
    ("input 3x32x32 | conv OUT k3", ["OUT"]),
])
def test_symbols_reach_the_ir(text, names):
    net = B(text)
    assert [s.name for s, _ in net.symbols] == names
    for sym, span in net.symbols:
        assert span.text == sym.name
        assert at(span) == pos(text, sym.name)


def test_symbol_shape_parts():
    sp = P("input 3xHxW | relu")
    assert [type(d).__name__ for d in sp.input.dims] == ["Num", "Name", "Name"]
    assert [d.span.text for d in sp.input.dims] == ["3", "H", "W"]


def test_comma_shape_keeps_lowercase_x_in_symbol():
    # dsl.md: "a symbol in a shape cannot contain a lower-case x; `3,H,max_len` is the escape"
    net = B("input 3,H,max_len | relu")
    assert len(net.input.shape) == 3
    assert [s.name for s, _ in net.symbols] == ["H", "max_len"]


# --- spans ----------------------------------------------------------------------------------

SPANNED = """def f(c, s=1) {
  conv c k3 s=s
}
input 1x8x8 layout=chw
stem: f(4) * 2
add { conv 4*c k1 }
    { }
"""


def test_spans_of_nodes():
    sp = P(SPANNED)
    (d,) = sp.defs
    assert at(d.span) == (1, 1) and d.span.text == "def f(c, s=1)"
    assert at(d.name_span) == (1, 5)
    assert [at(p.span) for p in d.params] == [(1, 7), (1, 10)]
    (conv,) = d.body
    assert at(conv.span) == (2, 3) and conv.span.text == "conv c k3 s=s"
    assert [at(a.span) for a in conv.args] == [(2, 8), (2, 10), (2, 13)]
    assert at(conv.args[2].name_span) == (2, 13)

    assert at(sp.input.span) == (4, 1)
    assert sp.input.span.text == "input 1x8x8 layout=chw"
    assert [at(x.span) for x in sp.input.dims] == [(4, 7), (4, 9), (4, 11)]

    lab, blk = sp.body
    assert at(lab.span) == (5, 1) and lab.span.text == "stem: f(4) * 2"
    rep = lab.body
    assert isinstance(rep, t.Repeat)
    assert at(rep.span) == (5, 7) and rep.span.text == "f(4) * 2"
    assert at(rep.count.span) == (5, 14)
    assert at(rep.body.name_span) == (5, 7) and rep.body.span.text == "f(4)"

    assert at(blk.kind_span) == (6, 1) and blk.kind_span.text == "add"
    assert at(blk.branches[0].span) == (6, 5)
    assert blk.branches[0].span.text == "{ conv 4*c k1 }"
    value = blk.branches[0].body[0].args[0].value
    assert at(value.span) == (6, 12) and value.span.text == "4*c"
    assert at(value.right.span) == (6, 14)
    assert at(blk.branches[1].span) == (7, 5)
    assert blk.span.text == "add { conv 4*c k1 }\n    { }"


def test_parenthesised_value_span_includes_parentheses():
    (s,) = P("conv (c * 4) k3").body
    assert s.args[0].value.span.text == "(c * 4)"


def test_spans_with_crlf_and_tabs():
    text = "input 1x8x8\r\n\tconv 4 k3\r\n"
    (s,) = P(text).body
    assert at(s.name_span) == (2, 2)
    assert s.span.text == "conv 4 k3"


def test_ir_layer_keeps_its_source_span():
    text = "input 1x8x8\nconv 4 k3 | relu"
    conv, relu = layers(B(text))
    assert at(conv.span) == (2, 1)
    assert at(relu.span) == pos(text, "relu")
    assert at(conv.opt_span("k")) == pos(text, "k3")


# --- parse errors are located ------------------------------------------------------------------

@pytest.mark.parametrize("text, needle", [
    ("input 1x8x8 | conv 4 k3 )", ")"),
    ("input 1x8x8 | }", "}"),
    ("input 1x8x8\ninput 1x8x8", "input 1x8x8"),
    ("relu\ninput 1x8x8", "input"),
    ("input 1x8x8 | { def f { relu } }", "def"),
    ("input 1x8x8 | shortcut { }", "shortcut"),
    ("input 1x8x8 | add { }", "add"),
    ("input 1x8x8 | conv 4a k3", "4a"),
    ("input 1x8x8 | conv 1.2.3 k3", "1.2.3"),
    ("def f(c, c) { relu }", "c)"),
])
def test_parse_errors_point_at_the_token(text, needle):
    line, col = pos(text, needle) if needle != "input 1x8x8" else pos(text, needle, 1)
    with pytest.raises(CnnCalcError) as e:
        P(text)
    assert (e.value.line, e.value.col) == (line, col)


def test_nesting_limit_in_the_parser():
    text = "input 1x4x4 | " + "{ " * 500 + "relu" + " }" * 500
    with pytest.raises(CnnCalcError) as e:
        P(text)
    assert "nest" in e.value.message


# --- assert ------------------------------------------------------------------------------

def test_comparisons_are_one_token_each():
    ops = [tok.text for tok in tokenize(Source("<s>", "a <= b >= c == d != e < f > g"))
           if tok.kind == OP]
    assert ops == ["<=", ">=", "==", "!=", "<", ">"]


def test_assert_statements_are_kept_apart_from_the_layers():
    spec = parse(Source("<s>", "input 3x224x224 | conv 8 k3\nassert params <= 25M\n"
                               "assert layer4.output == 2048x7x7 | relu"))
    assert [type(s).__name__ for s in spec.body] == ["Apply", "Apply"]
    first, second = spec.asserts
    assert (first.what, first.op, first.value) == ("params", "<=", "25M")
    assert (second.what, second.op, second.value) == ("layer4.output", "==", "2048x7x7")
    assert (second.span.line, second.span.col) == (3, 1)
    assert second.value_span.text == "2048x7x7"


def test_an_assert_becomes_a_budget_of_the_net():
    net = build(parse(Source("<s>", "input 1x4x4 | conv 1 k3\nassert macs < 4.2G\n"
                                    "assert output == 1x2x2")))
    macs, output = net.asserts
    assert (macs.what, macs.op, macs.value) == ("macs", "<", 4_200_000_000)
    assert (output.what, output.value) == ("output", (1, 2, 2))
    assert macs.span.line == 2


def test_assert_is_only_a_statement_at_the_top_level():
    with pytest.raises(CnnCalcError) as e:
        parse(Source("<s>", "def f { assert params < 3 }\ninput 1x4x4"))
    assert "'assert' may only appear at the top level" in e.value.message
    assert (e.value.line, e.value.col) == (1, 9)
