"""`cnncalc run` without PyTorch: the course's pooling example, the output shape of every
example against the analysis (two separate computations), and the command line."""

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


@pytest.mark.parametrize("text, size", [
    ("512MiB", 512 * 2 ** 20), ("1.5GiB", 3 * 2 ** 29), ("2GB", 2 * 10 ** 9),
    ("500MB", 500 * 10 ** 6), ("123", 123), ("4 KiB", 4096), ("1kb", 1000),
])
def test_sizes(text, size):
    from cnncalc.sizes import parse_size

    assert parse_size(text, "--memory-limit") == size


@pytest.mark.parametrize("text", ["12XB", "MiB", "-1MB", "1.5.2GB", ""])
def test_bad_sizes(text):
    from cnncalc.sizes import parse_size

    with pytest.raises(cnncalc.CnnCalcError) as e:
        parse_size(text, "--memory-limit")
    assert e.value.where == "--memory-limit"


def test_a_run_too_large_for_the_memory_is_refused_before_it_starts():
    # 64·100,000·100,000 float32 inputs alone are 2.56 TB
    result = run("run", "input 64x100000x100000 | conv 64 k3")
    assert result.exit_code == 2 and "would need about" in result.stderr
    small = run("run", "input 3x8x8 | conv 8 k3", "--memory-limit", "100")
    assert small.exit_code == 2 and "more than the limit of 100 B" in small.stderr
    # 3·8·8 + 8·6·6 activations and (27 + 1)·8 = 224 params: a few kilobytes
    assert run("run", "input 3x8x8 | conv 8 k3", "--memory-limit", "1MiB").exit_code == 0


def test_the_estimate_covers_the_tensors():
    from cnncalc.api import _net
    from cnncalc.execute import estimate_peak

    net = _net("input 3x8x8 | conv 8 k3", None, 10_000, None, None)[0]
    assert estimate_peak(net, "float32")[1] >= 224 * 4      # (3·3·3 + 1)·8 parameters
    assert estimate_peak(net, "float64")[1] >= 224 * 8


@pytest.mark.parametrize("spec", ["input 3x9x9 | avgpool k3 s2 p1 ceil",
                                  "input 3x5x5 | lrn 3 | gelu | softmax | bn | prelu",
                                  "input 2x7 | deconv 3 k3 s2 | upsample 2 | avgpool out=4"])
def test_float32_stays_float32(spec):
    # --dtype float32 is what the run computes in: no layer may widen it behind its back
    assert cnncalc.run(spec).dtype == np.float32
    assert cnncalc.run(spec, dtype="float64").dtype == np.float64


# --- the memory guard's estimate against what a run holds (tracemalloc sees every array
# NumPy allocates); benchmarks/memory.py does the same for every example -------------------

MEASURED_SPECS = [
    "input 16x64x64 | conv 16 k3 p1", "input 16x64x64 | conv 16 k3 s2 p1 | relu",
    "input 16x64x64 | conv 32 k5 p=same d2", "input 16x32x32 | deconv 16 k4 s2 p1",
    "input 8x16x16x16 | deconv 4 k3 s2 p1 op1", "input 16x64x64 | maxpool k3 s2 p1 ceil",
    "input 16x64x64 | avgpool out=5",
    "input 16x64x64 | residual { conv 16 k3 p1 | bn | relu | conv 16 k3 p1 }",
    "input 16x64x64 | concat { conv 8 k1 } { conv 8 k3 p1 } { maxpool k3 s1 p1 }",
    "input 16x64x64 | mul { relu } { avgpool global }",
    "input 16x64x64 | dwconv k3 p1 | gelu | softmax", "input 16x64x64 | lrn 5",
    "input 16x64x64 | conv 16 k1 s2 | upsample 3", "input 16x32x32 | fc 100",
    "input 16x32x32x8 | conv 8 k3 p1", "input 16x1000 | conv 16 k7 p3 | maxpool k2",
    "input 100 | embed 1000 64 | conv 32 k3",
]


@pytest.fixture(scope="module")
def warmed_up():
    # NumPy's random generator takes about 1 MiB the first time one is made, once a process
    from cnncalc.api import _net
    from cnncalc.execute import run_net

    run_net(_net("input 1x4x4 | conv 1 k3", None, 10, None, None)[0])


@pytest.mark.parametrize("spec", MEASURED_SPECS)
def test_the_memory_estimate_covers_what_a_run_holds(spec, warmed_up):
    import tracemalloc

    from cnncalc.api import _net
    from cnncalc.execute import estimate_peak, run_net

    net = _net(spec, None, 10_000, None, None)[0]
    estimate = estimate_peak(net, "float32")[1]
    tracemalloc.start()
    try:
        run_net(net)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak > 256 * 2 ** 10  # arrays, not Python's own objects, decide the figure
    assert peak <= estimate <= 2 * peak, (estimate, peak)
