"""The executor's tap loops against torch.nn.functional, in float64: pooling folded tap by
tap. Strides, dilations, paddings, ceil mode, and 1-D, 2-D, 3-D inputs. Skips cleanly
without torch."""

import numpy as np
import pytest

from cnncalc import ops

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(11)
POOL = {("max", 1): F.max_pool1d, ("max", 2): F.max_pool2d, ("max", 3): F.max_pool3d,
        ("avg", 1): F.avg_pool1d, ("avg", 2): F.avg_pool2d, ("avg", 3): F.avg_pool3d}


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("size, k, s, p, d, ceil", [
    ((9, 9), (3, 3), (2, 2), (1, 1), (1, 1), False),
    ((9, 9), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((8, 7), (3, 2), (2, 3), (1, 0), (1, 1), True),
    ((10, 9), (2, 3), (2, 2), (0, 1), (2, 1), True),    # dilated (max only)
    ((7, 7), (2, 2), (2, 2), (0, 0), (1, 1), False),    # untiled: the last row unused
    ((11,), (3,), (2,), (1,), (1,), True),
    ((5, 6, 7), (3, 2, 3), (2, 2, 1), (1, 1, 0), (1, 1, 1), True),
])
def test_pool(mode, size, k, s, p, d, ceil):
    if mode == "avg" and d != (1,) * len(k):
        pytest.skip("PyTorch's average pooling has no dilation")
    from cnncalc import formulas as f

    x = RNG.standard_normal((2, 3) + size)
    extra = []
    for n, ki, si, pi, di in zip(size, k, s, p, d):
        o = f.pool_out_ceil(n, ki, si, pi, 2 * pi, di) if ceil else f.conv_out(n, ki, si, 2 * pi, di)
        extra.append(max(0, (o - 1) * si + di * (ki - 1) + 1 - (n + 2 * pi)))
    ours = ops.pool(x, mode, k, s, [(pi, pi) for pi in p], d, extra)
    fn = POOL[(mode, len(k))]
    xt = torch.from_numpy(x)
    if mode == "max":
        theirs = fn(xt, k, s, p, d, ceil_mode=ceil).numpy()
    else:
        theirs = fn(xt, k, s, p, ceil_mode=ceil).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_pool_keeps_its_input_and_the_dtype():
    x = RNG.standard_normal((1, 2, 6, 6)).astype(np.float32)
    before = x.copy()
    for mode in ("max", "avg"):
        y = ops.pool(x, mode, (3, 3), (1, 1), [(0, 0), (0, 0)], (1, 1), [0, 0])
        assert y.dtype == np.float32
    np.testing.assert_array_equal(x, before)
