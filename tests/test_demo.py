"""`cnncalc demo`: the course's small-matrix questions, their answers copied from the notes'
worked solutions, and a brute-force cross-correlation written here."""

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner

from cnncalc.cli import main
from cnncalc.demo import run_demo

X = "1 2 3 0; 0 1 2 3; 3 0 1 2; 2 3 0 1"
KERNEL = "2 0 1; 0 1 2; 1 0 2"


def run(*args):
    return CliRunner().invoke(main, list(args))


def correlate(x, k, stride=1, pad=0, fill=0, dilation=1):
    """Plain loops: out[i][j] = sum over (a, b) of xp[i·s + a·d][j·s + b·d] · k[a][b]."""
    n, size = len(x), len(k)
    xp = [[fill] * (n + 2 * pad) for _ in range(n + 2 * pad)]
    for i in range(n):
        for j in range(n):
            xp[i + pad][j + pad] = x[i][j]
    span = dilation * (size - 1) + 1
    m = (n + 2 * pad - span) // stride + 1
    return [[sum(xp[i * stride + a * dilation][j * stride + b * dilation] * k[a][b]
                 for a in range(size) for b in range(size)) for j in range(m)]
            for i in range(m)]


def test_course_convolution():
    assert run_demo("conv", X, kernel=KERNEL).output == [[15, 16], [6, 15]]


def test_course_convolution_padded_with_ones():
    out = run_demo("conv", X, kernel=KERNEL, pad=1, pad_value="1").output
    assert out == [[11, 15, 13, 9], [7, 15, 16, 15], [13, 6, 15, 11], [13, 13, 7, 9]]
    assert all(type(v) is int for row in out for v in row)    # integers stay integers


def test_course_max_pool():
    out = run_demo("maxpool", "1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4", k=2).output
    assert out == [[6, 8], [3, 4]]


def test_course_average_pool():
    out = run_demo("avgpool", "1 1 2 4; 0 6 7 3; 3 2 1 0; 1 2 3 4", k=2).output
    assert out == [[2, 4], [2, 2]]                           # (1+1+0+6)/4 = 2, …


def test_average_that_does_not_divide_is_exact():
    assert run_demo("avgpool", "1 2; 3 5", k=2).output == [[Fraction(11, 4)]]


@pytest.mark.parametrize("stride, pad, dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 1)])
def test_against_brute_force(stride, pad, dilation):
    x = [[(3 * i + 5 * j) % 7 - 3 for j in range(6)] for i in range(6)]
    k = [[1, -2, 0], [2, 1, 1], [0, 3, -1]]
    text_x = "; ".join(" ".join(map(str, row)) for row in x)
    text_k = "; ".join(" ".join(map(str, row)) for row in k)
    got = run_demo("conv", text_x, kernel=text_k, stride=stride, pad=pad,
                   dilation=dilation).output
    assert got == correlate(x, k, stride, pad, 0, dilation)


def test_steps_show_each_window():
    result = run("demo", "conv", "--input", X, "--kernel", KERNEL, "--steps")
    assert result.exit_code == 0
    # the first window: 1·2 + 2·0 + 3·1 + 0·0 + 1·1 + 2·2 + 3·1 + 0·0 + 1·2 = 15
    assert "1·2 + 2·0 + 3·1 + 0·0 + 1·1 + 2·2 + 3·1 + 0·0 + 1·2 = 15" in result.stdout
    pool = run("demo", "maxpool", "--input", "1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4", "--k", "2",
               "--steps")
    assert "max(1, 1, 5, 6) = 6" in pool.stdout


def test_json_and_a_matrix_file(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("1 1 2 4\n5 6 7 8\n3 2 1 0\n1 2 3 4\n")
    result = run("demo", "maxpool", "--input", str(path), "--k", "2", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"output": [[6, 8], [3, 4]]}


@pytest.mark.parametrize("args, said", [
    (["maxpool", "--input", "1 1 2 4; 5 x 7 8", "--k", "2"], "'x' is not a number"),
    (["maxpool", "--input", "1 1 2; 5 7 8 9", "--k", "2"], "first has 3"),
    (["conv", "--input", "1 2; 3 4", "--kernel", "1 1 1; 1 1 1; 1 1 1"], "larger"),
    (["conv", "--input", "1 2; 3 4"], "--kernel"),
    (["maxpool", "--input", "1 2; 3 4"], "--k"),
    (["maxpool", "--input", ";;", "--k", "1"], "empty"),
    (["conv", "--input", "1 2; 3 4", "--kernel", "1 2"], "square"),
    (["maxpool", "--input", "1 2; 3 4", "--k", "2", "--pad", "1000000000"], "more than"),
    (["conv", "--input", "1 2; 3 4", "--kernel", "1 1; 1 1", "--dilation", "1000000000"],
     "larger"),
])
def test_bad_input_is_a_clear_error(args, said):
    result = run("demo", *args)
    assert result.exit_code == 2
    assert said in result.stderr and "Traceback" not in result.output
