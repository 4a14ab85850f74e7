"""Fuzzing, in the suite (issue 15, point 10).

(a) Valid specs, generated: chains and branches of every common layer kind with random
    options, small enough to run. Their analysis must agree with a calculation written here
    from PyTorch's documented formulas (not cnncalc's), and with `cnncalc.verify`, which runs
    the net in NumPy and measures shapes, parameters, MACs and receptive fields.
(b) Real specs (`examples/`), mutated token by token and byte by byte. Whatever comes of it,
    only a `CnnCalcError` may leave `cnncalc.analyze`, and the command line answers with
    exit status 0, 1 or 2 and never a traceback. A watchdog turns a hang into a failure.

Every input that once escaped is kept in `tests/regressions/` and run on every CI.

The number of cases comes from CNNCALC_FUZZ_EXAMPLES (default: a few dozen per test, under a
minute in all); `benchmarks/fuzz.py` runs the same tests at a hundred thousand cases.
"""

from __future__ import annotations

import os
import re
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {p.name: p.read_text() for p in sorted((ROOT / "examples").glob("*.cnn"))}
REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*.cnn"))
WATCHDOG_SECONDS = 30

EXAMPLES_PER_TEST = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES_PER_TEST, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


class Hang(Exception):
    pass


@contextmanager
def watchdog(what: str, seconds: int = WATCHDOG_SECONDS):
    """A case still running after `seconds` fails the test (SIGALRM, main thread only)."""
    def expire(signum, frame):
        raise Hang(f"no answer within {seconds} s: {what!r}"[:2000])

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- (a) valid specs and PyTorch's formulas -----------------------------------------------------
#
# Each layer is drawn with its options, and its output shape, parameters, buffers and MACs
# computed here from the PyTorch documentation's formulas (Conv2d, ConvTranspose2d,
# MaxPool2d, AvgPool2d, BatchNorm2d, Linear) and cnncalc's documented MAC convention (weights
# x output positions; a transposed convolution: weights x input positions). A layer whose
# output would be empty is not drawn.

def conv_out(n, k, s, p, d):
    """Conv2d / MaxPool2d: floor((n + 2p − d(k − 1) − 1)/s + 1)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out(n, k, s, p, d, ceil):
    """MaxPool2d / AvgPool2d with ceil_mode: the last window must start inside the input or
    its left padding."""
    if not ceil:
        return conv_out(n, k, s, p, d)
    span = n + 2 * p - d * (k - 1) - 1
    out = -(-span // s) + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


@st.composite
def conv_layer(draw, c, h, w):
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, 2))
    d = draw(st.integers(1, 2))
    groups = [g for g in (1, 2, 3) if c % g == 0]
    g = draw(st.sampled_from(groups))
    out = g * draw(st.integers(1, 3))
    bias = draw(st.booleans())
    ho, wo = conv_out(h, k, s, p, d), conv_out(w, k, s, p, d)
    if ho < 1 or wo < 1:
        return None
    weights = out * (c // g) * k * k
    text = f"conv {out} k{k} s{s} p{p} d{d} g{g}" + ("" if bias else " nobias")
    return text, (out, ho, wo), weights + (out if bias else 0), 0, weights * ho * wo, (k, s, d)


@st.composite
def deconv_layer(draw, c, h, w):
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    d = draw(st.integers(1, 2))
    p = draw(st.integers(0, d * (k - 1)))   # PyTorch: the padding trims at most the kernel
    op = draw(st.integers(0, max(s, d) - 1))  # output padding below the stride or dilation
    out = draw(st.integers(1, 3))
    ho, wo = ((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n in (h, w))
    if ho < 1 or wo < 1 or ho > 40 or wo > 40:
        return None
    weights = c * out * k * k
    return (f"deconv {out} k{k} s{s} p{p} op{op} d{d}", (out, ho, wo), weights + out, 0,
            weights * h * w, None)


@st.composite
def pool_layer(draw, c, h, w):
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    k = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, k // 2))      # PyTorch: padding at most half the kernel
    d = draw(st.integers(1, 2)) if kind == "maxpool" else 1
    ceil = draw(st.booleans())
    ho, wo = pool_out(h, k, s, p, d, ceil), pool_out(w, k, s, p, d, ceil)
    if ho < 1 or wo < 1 or h + 2 * p < d * (k - 1) + 1 or w + 2 * p < d * (k - 1) + 1:
        return None
    text = f"{kind} k{k} s{s} p{p}" + (f" d{d}" if d > 1 else "") + (" ceil" if ceil else "")
    return text, (c, ho, wo), 0, 0, 0, (k, s, d)


@st.composite
def dwconv_layer(draw, c, h, w):
    """dwconv: Conv2d(C, C·mult, k, groups=C)."""
    k, s, p, d = (draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1)),
                  draw(st.integers(1, 2)))
    mult = draw(st.integers(1, 2))
    ho, wo = conv_out(h, k, s, p, d), conv_out(w, k, s, p, d)
    if ho < 1 or wo < 1:
        return None
    out = c * mult
    return (f"dwconv k{k} s{s} p{p} d{d} mult={mult}", (out, ho, wo), out * k * k + out, 0,
            out * k * k * ho * wo, (k, s, d))


@st.composite
def other_layer(draw, c, h, w):
    """PReLU (one weight, or one per channel), channel shuffle, adaptive average pooling."""
    kind = draw(st.sampled_from(["prelu", "prelu per_channel", "shuffle", "adaptive"]))
    if kind == "prelu":
        return kind, (c, h, w), 1, 0, 0, (1, 1, 1)
    if kind == "prelu per_channel":
        return kind, (c, h, w), c, 0, 0, (1, 1, 1)
    if kind == "shuffle":
        g = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
        return f"shuffle {g}", (c, h, w), 0, 0, 0, (1, 1, 1)
    a, b = draw(st.integers(1, h)), draw(st.integers(1, w))
    return f"avgpool out={a}x{b}", (c, a, b), 0, 0, 0, None


def simple_layer(kind, c, h, w):
    if kind == "bn":
        return "bn", (c, h, w), 2 * c, 2 * c, 0, (1, 1, 1)
    if kind == "upsample 2":
        return kind, (c, 2 * h, 2 * w), 0, 0, 0, None
    if kind == "pad 1":
        return kind, (c, h + 2, w + 2), 0, 0, 0, (1, 1, 1)
    if kind == "avgpool global":
        return kind, (c, 1, 1), 0, 0, 0, None
    return kind, (c, h, w), 0, 0, 0, (1, 1, 1)  # activations, dropout


SIMPLE = ["relu", "bn", "sigmoid", "dropout 0.25", "upsample 2", "pad 1", "avgpool global",
          "tanh", "gelu", "lrn 3", "relu6", "silu"]


@st.composite
def layer(draw, shape):
    c, h, w = shape
    kind = draw(st.sampled_from(["conv", "conv", "dwconv", "deconv", "pool", "simple",
                                 "other"]))
    if kind == "conv":
        got = draw(conv_layer(c, h, w))
    elif kind == "dwconv":
        got = draw(dwconv_layer(c, h, w))
    elif kind == "other":
        got = draw(other_layer(c, h, w))
    elif kind == "deconv":
        got = draw(deconv_layer(c, h, w))
    elif kind == "pool":
        got = draw(pool_layer(c, h, w))
    else:
        got = simple_layer(draw(st.sampled_from(SIMPLE)), c, h, w)
        if got[1][1] > 40 or got[1][2] > 40:
            got = None
    return got or simple_layer("relu", c, h, w)


@st.composite
def valid_nets(draw):
    """(spec text, [(output shape, params, buffers, MACs)] of its rows but the merges,
    output shape, [receptive field, jump] per axis or None once it is not a plain chain)."""
    c, h, w = draw(st.integers(1, 4)), draw(st.integers(3, 10)), draw(st.integers(3, 10))
    lines, rows = [f"input {c}x{h}x{w}"], []
    shape = (c, h, w)
    field = [[1, 1], [1, 1]]          # r, j per axis while every layer is a window
    for _ in range(draw(st.integers(1, 5))):
        block = draw(st.sampled_from(["layer", "layer", "layer", "residual", "concat",
                                      "split", "mul"]))
        if block == "split" and shape[0] % 2 == 0:
            # the channels shared evenly: C/2 to each branch, the outputs concatenated
            c, hh, ww = shape
            half = c // 2
            lines.append(f"split {{ }} {{ conv {half} k1 }}")
            rows.append(((half, hh, ww), half * half + half, 0, half * half * hh * ww))
            field = None
            continue
        if block == "mul":  # squeeze-excite: the input times a gate per channel
            c, hh, ww = shape
            lines.append(f"mul {{ }} {{ avgpool global | conv {c} k1 | sigmoid }}")
            rows.extend([((c, 1, 1), 0, 0, 0), ((c, 1, 1), c * c + c, 0, c * c),
                         ((c, 1, 1), 0, 0, 0)])
            field = None
            continue
        if block == "residual":
            # conv C k3 p1 keeps the shape (PyTorch: (n + 2 − 2 − 1)/1 + 1 = n); a 1x1 conv
            # with bias as the projection
            c = shape[0]
            k = shape[0] * shape[0] * 9
            body = [((c, shape[1], shape[2]), k + c, 0, k * shape[1] * shape[2]),
                    ((c, shape[1], shape[2]), 2 * c, 2 * c, 0)]
            if draw(st.booleans()):
                lines.append(f"residual {{ conv {c} k3 p1 | bn }} shortcut {{ conv {c} k1 }}")
                body.append(((c, shape[1], shape[2]), c * c + c, 0, c * c * shape[1] * shape[2]))
            else:
                lines.append(f"residual {{ conv {c} k3 p1 | bn }}")
            rows.extend(body)
            field = None
            continue
        if block == "concat":
            a, b = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            c, hh, ww = shape
            lines.append(f"concat {{ conv {a} k1 }} {{ conv {b} k3 p1 | relu }}")
            rows.append(((a, hh, ww), a * c + a, 0, a * c * hh * ww))
            rows.append(((b, hh, ww), b * c * 9 + b, 0, b * c * 9 * hh * ww))
            rows.append(((b, hh, ww), 0, 0, 0))
            shape = (a + b, hh, ww)
            field = None
            continue
        text, out, params, buffers, macs, window = draw(layer(shape))
        lines.append(text)
        rows.append((out, params, buffers, macs))
        if field is not None and window is not None:
            k, s, d = window
            field = [[r + d * (k - 1) * j, j * s] for r, j in field]
        else:
            field = None
        shape = out
    if draw(st.booleans()):  # a classifier head: Linear on the flattened C·H·W
        n = draw(st.integers(1, 5))
        features = shape[0] * shape[1] * shape[2]
        if draw(st.booleans()):
            lines.append("flatten")
            rows.append(((features,), 0, 0, 0))
        lines.append(f"fc {n}")
        rows.append(((n,), features * n + n, 0, features * n))
        shape = (n,)
        field = None
    separator = draw(st.sampled_from([" | ", "\n"]))
    return separator.join(lines), rows, shape, field


MERGE_ROWS = ("add", "concat", "mul")


@FUZZ
@given(valid_nets())
def test_generated_specs_agree_with_pytorch_formulas_and_the_executor(net):
    spec, rows, shape, field = net
    with watchdog(spec):
        verified = cnncalc.verify(spec, memory_limit=2 ** 30)
    report = verified.report
    got = [(r.output_shape, r.params, r.buffers, r.macs) for r in report.rows
           if r.kind not in MERGE_ROWS]
    assert got == rows, spec
    assert report.totals.output_shape == shape
    assert report.totals.params == sum(r[1] for r in rows)
    assert report.totals.macs == sum(r[3] for r in rows)
    if field is not None:
        assert list(report.totals.rf) == [r for r, _ in field], spec
        assert list(report.totals.jump) == [j for _, j in field], spec
    assert verified.differences == [], (spec, verified.differences)


TWO_DECONVS = "input 1x3x3 | deconv 1 k4 s2 p3 op0 d1 | deconv 1 k2 s1 p0 op0 d2"
# the second long run: the same after one cropping transposed convolution (analysis 7, run 4)
ONE_DECONV = "input 1x7x7 | avgpool k1 s3 | deconv 1 k4 s3 p3 | dwconv k3 p1 d2"


def test_a_field_after_two_transposed_convolutions_is_not_clipped():
    # deconv 1 k4 s2 p3 on 3: the full output q = 2i + t (t < 4) is cropped to q = 3, 4, which
    # read inputs {0, 1} and {1, 2}; its (virtual) neighbours q = 2 and 5 read {0, 1} and
    # {1, 2} too. deconv 1 k2 d2 on those 2 positions: output q' reads q' and q' − 2, so
    # output 2 reads position 0 ({0, 1}) and position 2 ({1, 2}, cropped away): the field, not
    # clipped (dsl.md §5, docs/receptive-field.md), spans 0 .. 2, 3 wide
    assert cnncalc.analyze(TWO_DECONVS).totals.rf == (3, 3)


# found by the long fuzz runs: verify compared the largest unclipped field with what reaches
# an output, and on an output this short every position reads a position a deconv cropped (or
# padding next to it); verify now checks a field's size only where it reads input alone
@pytest.mark.parametrize("spec", [TWO_DECONVS, ONE_DECONV])
def test_verify_agrees_after_a_cropping_transposed_convolution(spec):
    assert cnncalc.verify(spec).differences == []


# --- (b) mutated real specs ---------------------------------------------------------------------

TOKEN = re.compile(r"\s+|[A-Za-z0-9_.×]+|//|.", re.S)
VOCABULARY = sorted({t for text in EXAMPLES.values() for t in TOKEN.findall(text)
                     if not t.isspace() and len(t) < 30}) + [
    "0", "-1", "1", "2", "H", "W", "C", "K", "P", "S", "N", "x", "*", "**", "//", "%", "/",
    "(", ")", "{", "}", "[", "]", "|", ":", "=", ",", "\n", "#", "99999999999999999999",
    "9" * 300, "1" + "0" * 299, "1e9", "0.5", "-0.5", "1/3", "3x3", "-3x3", "3x3x3x3x3",
    "k=-1", "s=0", "p=same", "p=full", "g=0", "batch=0", "layout=hwc", "def", "input",
    "residual", "shortcut", "concat", "add", "mul", "split", "embed", "a:", "0:", "\t",
    "\\\n", "；", "｜", "\ufeff", "é", "\u00a0", "*99999999999999999999", "*4400", "s10"]


@st.composite
def token_mutants(draw):
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    tokens = TOKEN.findall(EXAMPLES[name])
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["replace", "insert", "delete", "duplicate", "swap"]))
        i = draw(st.integers(0, len(tokens) - 1))
        if op == "replace":
            tokens[i] = draw(st.sampled_from(VOCABULARY))
        elif op == "insert":
            tokens.insert(i, draw(st.sampled_from(VOCABULARY + [" "])))
        elif op == "delete":
            del tokens[i:i + draw(st.integers(1, 8))]
        elif op == "duplicate":
            j = min(len(tokens), i + draw(st.integers(1, 40)))
            tokens[i:i] = tokens[i:j] * draw(st.integers(1, 3))
        else:
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        if not tokens:
            tokens = [" "]
    return "".join(tokens)


@st.composite
def byte_mutants(draw):
    data = bytearray(EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))].encode())
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["set", "insert", "delete", "duplicate"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "set" and data:
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.sampled_from([b"\xff", b"\xc3", b"\xef\xbb\xbf", b"\x00",
                                              b"\r", b"\n", b"\xe2\x80\xa8", b"\\"])
                             | st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 16))]
        else:
            j = min(len(data), i + draw(st.integers(1, 64)))
            data[i:i] = data[i:j] * draw(st.integers(1, 4))
    return bytes(data)


COMMANDS = [["analyze"], ["analyze", "--json"], ["analyze", "--format", "markdown"],
            ["analyze", "--format", "csv"], ["explain"], ["explain", "--json"]]


def answers_cleanly_in_the_api(text: str) -> None:
    try:
        report = cnncalc.analyze(text)
    except cnncalc.CnnCalcError as e:
        rendered = e.render()
        assert "error:" in rendered
        if e.span is not None:
            assert rendered.startswith(f"{e.span.source.name}:{e.line}:{e.col}: error: ")
        return
    from cnncalc.render.json import render
    render(report)


def answers_cleanly_on_the_command_line(args, input=None) -> None:
    result = CliRunner().invoke(main, args, input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{result.exception!r} escaped from {args[:2]}\n{result.output[-3000:]}"
    assert result.exit_code in (0, 1, 2), result.output[-3000:]
    assert "Traceback" not in result.output
    if result.exit_code == 2:  # located, or click's usage error (a spec text "- …")
        assert "error: " in result.stderr or result.stderr.startswith("Usage: ")


@FUZZ
@given(token_mutants(), st.sampled_from(COMMANDS))
def test_mutated_specs_give_an_answer_or_a_located_error(text, command):
    with watchdog(text):
        answers_cleanly_in_the_api(text)
        answers_cleanly_on_the_command_line([command[0], text, *command[1:]])


@FUZZ
@given(byte_mutants(), st.sampled_from(COMMANDS))
def test_mutated_bytes_give_an_answer_or_a_located_error(data, command):
    with watchdog(data):
        answers_cleanly_on_the_command_line([command[0], "-", *command[1:]], input=data)


# --- what once escaped --------------------------------------------------------------------------

@pytest.mark.parametrize("i", range(len(REGRESSIONS)), ids=[p.name for p in REGRESSIONS])
def test_regressions(i):
    """Each file in tests/regressions/ once escaped as a Python exception or hung; its
    first line says what it did. Read from its path and from standard input, in two of the
    formats (the next file takes the next two: tests/test_robustness.py runs the cases of
    issue 15 in every format and command)."""
    path = REGRESSIONS[i]
    data = path.read_bytes()
    first, second = COMMANDS[i % len(COMMANDS)], COMMANDS[(i + 3) % len(COMMANDS)]
    with watchdog(f"{path.name}: {first}"):
        answers_cleanly_on_the_command_line([first[0], str(path), *first[1:]])
    with watchdog(f"{path.name}: {second}, from standard input"):
        answers_cleanly_on_the_command_line([second[0], "-", *second[1:]], input=data)


def test_the_regressions_are_there():
    assert len(REGRESSIONS) >= 10
