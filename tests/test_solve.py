"""`cnncalc solve`: answers checked against brute force written here from PyTorch's output
formula, floor((n + 2p - d(k-1) - 1)/s) + 1, and against sympy for the universal case."""

import itertools
import json

import pytest
import sympy
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main
from cnncalc.solve import solve


def conv_len(n, k, s=1, p=0):
    return (n + 2 * p - k) // s + 1


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("k, padding", [(3, 1), (5, 2), (7, 3)])
def test_same_padding_on_7x7(k, padding):
    # the course: (7 - k + 2P)/1 + 1 = 7  =>  P = (k - 1)/2
    answer = solve(f"input 1x7x7 | conv 1 k{k} p=P", output="1x7x7")
    assert answer.solutions == [{"P": padding}]
    assert answer.bounds == {"P": (0, 10)}


def test_same_padding_for_every_size_is_proved_not_tried():
    answer = solve("input 1xHxW | conv 1 k3 p=P", output="1xHxW")
    assert answer.universal == ("H", "W")
    assert answer.solutions == [{"P": 1}]


def test_keeps_the_size_pairs_against_sympy():
    # out = floor((H + 2P - F)/1) + 1 = H + 2P - F + 1, which is H for every H iff F = 2P + 1
    answer = solve("input 64xHxW | conv 64 k=F p=P", output="64xHxW")
    H, F, P = sympy.symbols("H F P", integer=True, positive=True)
    expected = []
    for f, p in itertools.product(range(1, 12), range(0, 11)):
        out = sympy.floor((H + 2 * p - f) / 1) + 1
        if sympy.simplify(out - H) == 0:
            expected.append({"F": f, "P": p})
    assert sorted(answer.solutions, key=lambda s: (s["F"], s["P"])) == expected
    assert expected[:2] == [{"F": 1, "P": 0}, {"F": 3, "P": 1}]


def test_7x7_to_4x4_equals_brute_force():
    answer = solve("input 1x7x7 | conv 1 k=F s=S p=P", output="1x4x4")
    assert answer.bounds == {"F": (1, 11), "S": (1, 8), "P": (0, 10)}
    brute = [{"F": f, "S": s, "P": p}
             for f, s, p in itertools.product(range(1, 12), range(1, 9), range(0, 11))
             if f <= 7 + 2 * p and conv_len(7, f, s, p) == 4]
    assert answer.solutions == brute
    assert {"F": 3, "S": 2, "P": 1} in answer.solutions   # the course's answer
    for sol in answer.solutions:  # every answer substitutes back
        r = cnncalc.analyze("input 1x7x7 | conv 1 k=F s=S p=P", bindings=sol)
        assert r.totals.output_shape == (1, 4, 4)


def test_stacked_3x3_convolutions_seeing_7x7():
    # each 3x3 conv adds 2 to the field: 1 + 2N = 7  =>  N = 3
    answer = solve("input 64x32x32 | conv 64 k3 p1 * N", rf=7)
    assert answer.solutions == [{"N": 3}]


def test_params_budget_against_brute_force():
    # a 3x3 conv on 3 channels with K filters has 27K + K = 28K parameters
    answer = solve("input 3x32x32 | conv K k3 p1", max_params=300, ranges={"K": (1, 64)})
    assert answer.solutions == [{"K": k} for k in range(1, 65) if 28 * k <= 300]


def test_macs_budget():
    # 32x32 positions · 27 MACs per filter: 27,648 per filter
    answer = solve("input 3x32x32 | conv K k3 p1", max_macs=100_000, ranges={"K": (1, 8)})
    assert answer.solutions == [{"K": k} for k in range(1, 9) if 27 * 1024 * k <= 100_000]


def test_bindings_fix_a_name():
    answer = solve("input 1x7x7 | conv 1 k=F s=S p=P", output="1x4x4", bindings={"F": 3})
    assert answer.unknowns == ("S", "P")
    assert {"S": 2, "P": 1} in answer.solutions


def test_cli_exit_statuses_and_json():
    ok = run("solve", "input 1x7x7 | conv 1 k3 p=P", "--output", "1x7x7", "--json")
    assert ok.exit_code == 0
    data = json.loads(ok.stdout)
    assert data == {"solutions": [{"P": 1}], "bounds": {"P": [0, 10]}, "universal": [],
                    "candidates": 11, "warnings": []}
    none = run("solve", "input 1x7x7 | conv 1 k3 p=P", "--output", "1x9x9", "--range",
               "P=0..0")
    assert none.exit_code == 1 and "no solution" in none.stdout
    invalid = run("solve", "input 1x7x7 | conv 1 k3 p=P | maxpol k2", "--output", "1x7x7")
    assert invalid.exit_code == 2 and "maxpool" in invalid.stderr
    for args in (["--range", "P=3"], ["--range", "P=5..1"], ["--range", "Q=0..3"]):
        bad = run("solve", "input 1x7x7 | conv 1 k3 p=P", "--output", "1x7x7", *args)
        assert bad.exit_code == 2, args
        assert "Traceback" not in bad.output
    nothing = run("solve", "input 1x7x7 | conv 1 k3 p=P")
    assert nothing.exit_code == 2 and "at least one constraint" in nothing.stderr


def test_too_many_candidates_is_a_clear_error():
    result = run("solve", "input CxHxW | conv K k=F s=S p=P", "--max-params", "10")
    assert result.exit_code == 2
    assert "--range" in result.stderr and "candidates" in result.stderr


def test_output_with_a_name_the_spec_lacks():
    result = run("solve", "input 1x7x7 | conv 1 k3 p=P", "--output", "1xQxQ")
    assert result.exit_code == 2 and "--output" in result.stderr
