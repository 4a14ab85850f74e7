"""The executor writes a layer's result into its input when nothing else holds that input
(batch norm and ReLU after a convolution, a residual block's sum into its main branch):
the numbers must be exactly those of a run that never does, and no array the caller or
another branch still holds may change."""

import numpy as np
import pytest

import cnncalc
from cnncalc import api
from cnncalc.execute import _Run, run_net

SPECS = [
    "input 4x6x6 | conv 4 k3 p1 | bn | relu | add { relu } { bn } { } | relu | "
    "mul { } { avgpool global | sigmoid } | add { bn | relu6 } { } | relu | flatten | relu",
    "input 3x8x8 | relu | add { } { relu } | concat { bn | relu } { relu } | "
    "split { relu } { bn } | mul { avgpool global } { } | add { } { } | elu | relu",
    "input 4x5x5 | dropout | relu | flatten | relu | fc 6 | bn | relu",
]
EXAMPLES = ["resnet18", "efficientnet_b0", "shufflenet_v2", "googlenet", "mobilenet_v2"]


class Copying(_Run):
    """A run that never writes into an array: every layer and merge makes a new one."""

    def owned(self, a):
        return False


def both(net, x):
    ours = run_net(net, x.copy(), dtype="float64")
    theirs = run_net(net, x.copy(), dtype="float64", runner=Copying)
    return ours, theirs


def net(text):
    return api._net(text, None, 10_000, None, None)[0]  # (net, where --input is blamed)


@pytest.mark.parametrize("spec", SPECS)
def test_same_bits_and_the_input_kept(spec):
    n = net(spec)
    x = np.random.default_rng(3).standard_normal((2,) + tuple(n.input.shape))
    kept = x.copy()
    ours = run_net(n, x, dtype="float64")
    np.testing.assert_array_equal(x, kept)  # the caller's array is never written
    np.testing.assert_array_equal(ours, run_net(n, x, dtype="float64", runner=Copying))


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_same_bits(name):
    from pathlib import Path

    text = (Path(__file__).parent.parent / "examples" / f"{name}.cnn").read_text()
    n = net(text)
    x = np.random.default_rng(4).standard_normal((1,) + tuple(n.input.shape))
    ours, theirs = both(n, x)
    np.testing.assert_array_equal(ours, theirs)


def test_float32_input_of_the_run_dtype_is_not_written():
    x = np.random.default_rng(5).standard_normal((1, 3, 6, 6)).astype(np.float32)
    kept = x.copy()
    cnncalc.run("input 3x6x6 | relu | bn | add { relu } { }", x)
    np.testing.assert_array_equal(x, kept)


def test_what_is_written_in_place():
    """After a convolution, batch norm and ReLU reuse its array; a residual sum goes into
    the main branch's output; the first layer (the caller's input) and a block's input
    (its other branch still needs it) are never written."""
    seen = []

    class Recording(_Run):
        def layer(self, layer, path, x):
            y = super().layer(layer, path, x)
            seen.append((layer.kind.name, y is x))
            return y

        def join(self, merge, path, x, outs):
            y = super().join(merge, path, x, outs)
            seen.append((merge.kind.name, [y is o for o in outs]))
            return y

    n = net("input 2x5x5 | relu | conv 2 k3 p1 | bn | relu | add { relu | conv 2 k1 | relu } "
            "{ relu } | relu")
    run_net(n, np.ones((1, 2, 5, 5)), runner=Recording)
    assert seen == [("relu", False), ("conv", False), ("bn", True), ("relu", True),
                    ("relu", False), ("conv", False), ("relu", True), ("relu", False),
                    ("add", [True, False]), ("relu", True)]
