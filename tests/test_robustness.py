"""Whatever is typed, cnncalc answers with a result or a located CnnCalcError — never another
exception (a traceback for the user). Hypothesis builds specs from the language's own words
and from arbitrary text."""

import os

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
