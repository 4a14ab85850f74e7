"""`cnncalc run` without PyTorch: the course's pooling example, the output shape of every
example against the analysis (two separate computations), and the command line."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_course_max_pool():
    x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    assert cnncalc.run("input 1x4x4 | maxpool k2", x).tolist() == [[[[6, 8], [3, 4]]]]


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.cnn")))
def test_every_example_runs_to_the_analysed_shape(name):
    small = {"alexnet": "3x96x96", "vgg16": "3x64x64", "zfnet": "3x96x96",
             "googlenet": "3x64x64", "resnet50": "3x64x64", "efficientnet_b0": "3x64x64",
             "mobilenet_v2": "3x64x64", "shufflenet_v2": "3x64x64", "resnet18": "3x64x64"}
    report = cnncalc.analyze(EXAMPLES / f"{name}.cnn", input=small.get(name))
    y = cnncalc.run(EXAMPLES / f"{name}.cnn", input=small.get(name))
    assert y.shape == (report.input.batch,) + tuple(report.totals.output_shape)
    assert np.isfinite(y).all()


def test_seeds_decide_the_numbers():
    spec = "input 3x8x8 | conv 4 k3 | relu | fc 5"
    a, b, c = (cnncalc.run(spec, seed=s) for s in (1, 1, 2))
    assert (a == b).all() and not (a == c).all()


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_cli(tmp_path):
    x = tmp_path / "x.npy"
    y = tmp_path / "y.npy"
    np.save(x, np.arange(16.0).reshape(1, 1, 4, 4))
    result = run("run", "input 1x4x4 | maxpool k2", "--input-npy", str(x), "--save-output",
                 str(y))
    assert result.exit_code == 0 and "output  1x2x2" in result.stdout
    assert np.load(y).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]   # max of each 2x2 block
    bad = run("run", "input 3xHxW | conv 8 k3")
    assert bad.exit_code == 2 and "-D H=" in bad.stderr
    missing = run("run", "input 1x4x4 | relu", "--weights", str(tmp_path / "none.npz"))
    assert missing.exit_code == 2 and "--weights" in missing.stderr
    wrong = run("run", "input 1x5x5 | relu", "--input-npy", str(x))
    assert wrong.exit_code == 2 and "N x 1x5x5" in wrong.stderr
