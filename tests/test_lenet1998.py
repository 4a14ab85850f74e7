"""LeNet-5 as LeCun et al. published it in 1998 (examples/lenet5_1998.cnn) against the paper's
own figures (section II-B, as the course quotes them), and the three kinds it needs —
trainable subsampling, a convolution with a connection table, Euclidean RBF units with fixed
weights — against the same operations written with torch.nn.functional (skipped without
torch)."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "lenet5_1998.cnn"
RNG = np.random.default_rng(1998)

# LeNet-5's Table I (the paper): row i is S2 map i, column o is C3 map o, X = connected.
TABLE_I = """
X...XXX..XXXX.XX
XX...XXX..XXXX.X
XXX...XXX..X.XXX
.XXX..XXXX..X.XX
..XXX..XXXX.XX.X
...XXX..XXXX.XXX
""".split()


def rows():
    return {row.path[-1]: row for row in cnncalc.analyze(EXAMPLE).rows}


def test_c1_156_parameters_122304_connections():
    c1 = rows()["conv1"]
    assert c1.output_shape == (6, 28, 28)
    assert c1.params == 6 * (5 * 5 + 1) == 156
    # each of the 6·28·28 = 4,704 units reads 25 inputs and a bias
    assert c1.connections == 26 * 4_704 == 122_304


def test_s2_12_parameters_5880_connections():
    s2 = rows()["subsample1"]
    assert s2.output_shape == (6, 14, 14)
    assert s2.params == 6 * 2 == 12                      # a coefficient and a bias per map
    assert s2.macs == 6 * 14 * 14 == 1_176               # one multiply per output unit
    assert s2.connections == 5 * 1_176 == 5_880          # 4 inputs + bias per unit


def test_c3_table_1516_parameters_151600_connections_150000_macs():
    c3 = rows()["conv2"]
    kernels = sum(row.count("X") for row in TABLE_I)
    assert kernels == 60
    assert c3.output_shape == (16, 10, 10)
    assert c3.params == 60 * 25 + 16 == 1_516
    assert c3.macs == 60 * 25 * 10 * 10 == 150_000
    assert c3.connections == 1_516 * 100 == 151_600


def test_the_named_table_is_table_i():
    from cnncalc.layers.conv import NAMED_TABLES

    by_output = NAMED_TABLES["lenet5_c3"]
    assert ["".join("X" if by_output[o][i] else "." for o in range(16)) for i in range(6)] \
        == TABLE_I


def test_rbf_weights_are_fixed_and_the_whole_net_trains_60000():
    r = cnncalc.analyze(EXAMPLE)
    rbf = rows()["rbf1"]
    assert (rbf.params, rbf.buffers, rbf.macs) == (0, 84 * 10, 840)
    # C1 + S2 + C3 + S4 + C5 + F6, the paper's layers with trainable parameters
    assert r.totals.trainable_params == 156 + 12 + 1_516 + 16 * 2 + (16 * 25 + 1) * 120 \
        + (120 + 1) * 84 == 60_000
    assert r.totals.buffers == 840


def test_json_carries_connections_and_the_table_a_column():
    result = CliRunner().invoke(main, ["analyze", "--json", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    layers = {layer["path"]: layer for layer in json.loads(result.stdout)["layers"]}
    assert layers["conv1"]["connections"] == 122_304
    assert layers["subsample1"]["connections"] == 5_880
    assert layers["conv2"]["connections"] == 151_600
    assert layers["tanh1"]["connections"] == 0
    table = CliRunner().invoke(main, ["analyze", "--connections", "--no-color", str(EXAMPLE)],
                               env={"COLUMNS": "120"})
    assert table.exit_code == 0, table.output
    assert "connections" in table.stdout and "151,600" in table.stdout
    plain = CliRunner().invoke(main, ["analyze", "--no-color", str(EXAMPLE)],
                               env={"COLUMNS": "120"})
    assert "connections" not in plain.stdout


def test_connections_is_a_table_column_only():
    result = CliRunner().invoke(main, ["analyze", "--connections", "--format", "csv",
                                       str(EXAMPLE)])
    assert result.exit_code == 2
    assert "--connections is a column of the layer table" in result.output


def test_verify_agrees():
    result = CliRunner().invoke(main, ["verify", str(EXAMPLE)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("spec, error", [
    ("input 3x8x8 | conv 2 k3 table=(110, 01)", "rows (output maps) of 2/3 digits"),
    ("input 3x8x8 | conv 2 k3 table=(120, 011)", "not '120'"),
    ("input 3x8x8 | conv 2 k3 table=(000, 011)", "needs an input map"),
    ("input 4x8x8 | conv 2 k3 g2 table=(1100, 0011)", "leave out 'g'"),
    ("input Cx8x8 | conv 2 k3 table=(110, 011)", "not symbols"),
    ("input 3x8x8 | conv 2 k3 table=lenet5", "did you mean 'lenet5_c3'"),
])
def test_bad_tables_are_located_errors(spec, error):
    with pytest.raises(cnncalc.CnnCalcError, match=error.replace("(", r"\(")
                       .replace(")", r"\)")):
        cnncalc.analyze(spec)


def test_an_explicit_table_counts_its_kernels():
    # output map 0 reads maps 0 and 1, output map 1 reads maps 1 and 2: 4 kernels of 3x3
    r = cnncalc.analyze("input 3x8x8 | conv 2 k3 table=(110, 011)").rows[0]
    assert r.params == 4 * 9 + 2
    assert r.macs == 4 * 9 * 6 * 6
    assert r.connections == (2 * 9 + 1) * 36 * 2


# --- against torch.nn.functional ------------------------------------------------------------

def test_subsample_is_avg_pool_times_window_times_coefficient_plus_bias():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = RNG.standard_normal((2, 3, 8, 8))
    coefficient, bias = RNG.standard_normal(3), RNG.standard_normal(3)
    ours = cnncalc.run("input 3x8x8 | subsample k2", x, dtype="float64",
                       weights={"subsample1.weight": coefficient, "subsample1.bias": bias})
    t = torch.from_numpy
    theirs = F.avg_pool2d(t(x), 2) * 4 * t(coefficient)[:, None, None] + t(bias)[:, None, None]
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10)


def test_table_conv_is_conv2d_with_the_unconnected_kernels_zeroed():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    from cnncalc.layers.conv import NAMED_TABLES

    table = np.array(NAMED_TABLES["lenet5_c3"])            # (16 output maps, 6 input maps)
    x = RNG.standard_normal((2, 6, 14, 14))
    full = RNG.standard_normal((16, 6, 5, 5)) * table[:, :, None, None]
    bias = RNG.standard_normal(16)
    kernels = full[table.astype(bool)]                     # row-major: output map, input map
    assert kernels.shape == (60, 5, 5)
    ours = cnncalc.run("input 6x14x14 | conv 16 k5 table=lenet5_c3", x, dtype="float64",
                       weights={"conv1.weight": kernels, "conv1.bias": bias})
    theirs = F.conv2d(torch.from_numpy(x), torch.from_numpy(full), torch.from_numpy(bias))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_rbf_is_the_squared_euclidean_distance():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 84))
    w = RNG.standard_normal((10, 84))
    ours = cnncalc.run("input 84 | rbf 10", x, dtype="float64", weights={"rbf1.weight": w})
    theirs = torch.cdist(torch.from_numpy(x), torch.from_numpy(w)) ** 2
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9)


def test_explain_works_the_table_and_the_subsampling():
    result = CliRunner().invoke(main, ["explain", "--no-color", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "60·5·5 + 16 = 1500 + 16 = 1,516" in result.stdout     # C3's connected kernels
    assert "6·2 = 12" in result.stdout                            # S2


def test_the_buffers_line_says_what_they_are():
    result = CliRunner().invoke(main, ["analyze", "--no-color", str(EXAMPLE)])
    assert "Buffers (kept, not learned)" in result.stdout         # not batch norm's: the rbf's
    bn = CliRunner().invoke(main, ["analyze", "--no-color", "input 2x4x4 | bn"])
    assert "Buffers (BN running stats)" in bn.stdout


def test_the_listing_quotes_the_paper():
    result = CliRunner().invoke(main, ["examples", "--json"])
    entry = {e["name"]: e for e in json.loads(result.stdout)}["lenet5_1998"]
    assert "Gradient-Based Learning" in entry["source"] and "Table I" in entry["source"]
    assert "60,000" in entry["reference"]


def test_a_folded_block_sums_its_connections():
    spec = "def stage(c) { conv c k3 | relu | subsample k2 }\ninput 1x10x10\nstage(2)\n"
    result = CliRunner().invoke(main, ["analyze", "--connections", "--depth", "1",
                                       "--no-color", spec], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    # conv: (9 + 1)·2·8·8 = 1,280; subsample: (4 + 1)·2·4·4 = 160
    assert "1,440" in result.stdout


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.lists(st.booleans(), min_size=3, max_size=3).filter(any),
                     min_size=1, max_size=4),
       k=st.integers(1, 3), s=st.integers(1, 2), p=st.integers(0, 1),
       bias=st.booleans())
def test_any_table_verifies(rows, k, s, p, bias):
    """Whatever the table, the executor allocates and multiplies what params() and macs()
    count; and the connections are each output map's kernels, plus its bias, per position."""
    table = ", ".join("".join("1" if on else "0" for on in row) for row in rows)
    spec = f"input 3x6x6 | conv {len(rows)} k{k} s{s} p{p} table=({table})" + \
        ("" if bias else " nobias") + " | subsample k1"
    result = cnncalc.verify(spec)
    assert result.differences == [], result.differences
    conv = result.report.rows[0]
    positions = ((6 + 2 * p - k) // s + 1) ** 2
    kernels = sum(map(sum, rows))
    assert conv.params == kernels * k * k + (len(rows) if bias else 0)
    assert conv.connections == (kernels * k * k + (len(rows) if bias else 0)) * positions
