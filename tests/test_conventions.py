"""Counting conventions (cnncalc/conventions.py): the bundled networks' totals against the
figures torchinfo 1.8.0, fvcore 0.1.5 and ptflops 0.7.5 printed for torchvision's models
(tests/reference/zoo.json), each convention's rule on small nets by hand arithmetic, and
`analyze --convention` / `--conventions` through the command line."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.api import analyze
from cnncalc.cli import main
from cnncalc.conventions import NAMES, macs_under, reconcile, under

ZOO = json.loads((Path(__file__).parent / "reference" / "zoo.json").read_text())["models"]
EXTRA = json.loads((Path(__file__).parent / "reference" / "peers_extra.json").read_text())[
    "models"]
FIGURE = {"papers": "macs", "torchinfo": "torchinfo_mult_adds", "fvcore": "fvcore_flops",
          "ptflops": "ptflops_macs"}


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- the zoo, to the unit ----------------------------------------------------------------

@pytest.mark.parametrize("model", ["alexnet", "vgg16", "resnet18", "resnet50", "googlenet"])
@pytest.mark.parametrize("convention", ["papers", "torchinfo", "fvcore"])
def test_zoo_totals(model, convention):
    assert macs_under(analyze(model), convention) == ZOO[model][FIGURE[convention]]


@pytest.mark.parametrize("model", ["alexnet", "vgg16", "resnet18", "resnet50"])
def test_zoo_ptflops(model):
    assert macs_under(analyze(model), "ptflops") == ZOO[model]["ptflops_macs"]


def test_googlenet_under_ptflops_counts_its_functional_relu_once():
    """torchvision's GoogLeNet calls F.relu inside BasicConv2d, not an nn.ReLU module: ptflops
    counts those activations once (the patched function) where the convention, for a net
    built from modules, counts them twice. Every activation of googlenet.cnn is such a relu,
    so the tool's figure is the convention's less half its activations."""
    report = analyze("googlenet")
    assert {r.kind for r in report.rows if r.kind in ("relu", "relu6", "gelu", "leakyrelu",
                                                       "sigmoid", "silu")} == {"relu"}
    rec = reconcile(report, ("ptflops",))
    activations = rec.counts["ptflops"]["activations"]
    relu_elements = sum(r.output_shape[0] * r.output_shape[1] * r.output_shape[2]
                        for r in report.rows if r.kind == "relu")
    assert activations == 2 * relu_elements
    assert rec.totals["ptflops"] - relu_elements == ZOO["googlenet"]["ptflops_macs"]
    assert rec.totals["ptflops"] != ZOO["googlenet"]["ptflops_macs"]


def test_efficientnet_b0_under_every_peer():
    """SiLU modules (ptflops: the wrapped F.silu, once), squeeze-excite with nn.Sigmoid and
    `scale * x` (no tool counts either), adaptive average pool modules: every figure to the
    unit (tests/reference/peers_extra.json)."""
    report = analyze("efficientnet_b0")
    for convention in ("torchinfo", "fvcore", "ptflops"):
        assert macs_under(report, convention) == EXTRA["efficientnet_b0"][FIGURE[convention]]


def _final_pool_inputs(report):
    pool = [r for r in report.rows if r.kind == "avgpool"][-1]
    assert pool.mode == "global"
    return pool.input_shape[0] * pool.input_shape[1] * pool.input_shape[2]


def test_mobilenet_v2_pools_with_a_function():
    """torchvision's MobileNetV2 pools with F.adaptive_avg_pool2d, not a module: ptflops
    counts its 1280 x 7 x 7 inputs once (the wrapped function), not twice."""
    report = analyze("mobilenet_v2")
    figures = EXTRA["mobilenet_v2"]
    assert macs_under(report, "torchinfo") == figures["torchinfo_mult_adds"]
    assert macs_under(report, "fvcore") == figures["fvcore_flops"]
    assert _final_pool_inputs(report) == 1280 * 7 * 7
    assert macs_under(report, "ptflops") - 1280 * 7 * 7 == figures["ptflops_macs"]


def test_shufflenet_v2_pools_with_a_mean():
    """torchvision's ShuffleNetV2 pools with x.mean([2, 3]): neither fvcore (no
    aten::adaptive_avg_pool2d) nor ptflops (no module, no wrapped function) counts it."""
    report = analyze("shufflenet_v2")
    figures = EXTRA["shufflenet_v2"]
    inputs = _final_pool_inputs(report)
    assert inputs == 1024 * 7 * 7
    assert macs_under(report, "torchinfo") == figures["torchinfo_mult_adds"]
    assert macs_under(report, "fvcore") - inputs == figures["fvcore_flops"]
    assert macs_under(report, "ptflops") - 2 * inputs == figures["ptflops_macs"]


def test_resnet50_by_category():
    """The issue's breakdown of fvcore's figure: conv 4,087,136,256 + batch norm 22,227,968
    + pool 100,352 + fc 2,048,000 (= 2048 x 1000)."""
    rec = reconcile(analyze("resnet50"))
    fvcore = rec.counts["fvcore"]
    assert fvcore["conv/fc MACs"] == 4_087_136_256 + 2048 * 1000
    assert fvcore["batch norm"] == 22_227_968
    assert fvcore["pooling"] == 100_352 == 2048 * 7 * 7  # the global pool's input
    assert rec.totals["fvcore"] == 4_087_136_256 + 22_227_968 + 100_352 + 2_048_000
    torchinfo = rec.counts["torchinfo"]
    assert torchinfo["conv and fc bias"] == 1000  # the convolutions have no bias; fc's 1000
    assert torchinfo["batch norm"] == ZOO["resnet50"]["buffers"]  # 2C each, as the buffers
    # no tool counts the residual adds: torchvision writes `out += identity`
    assert all(rec.counts[c]["merges"] == 0 for c in NAMES)


# --- each rule by hand -------------------------------------------------------------------

def totals(spec, **kw):
    report = analyze(spec, **kw)
    return {c: macs_under(report, c) for c in NAMES}


def test_conv_with_bias():
    # 3x8x8 -> 4x6x6: 36 positions; 3·9·4 = 108 weights, 4 biases
    assert totals("input 3x8x8 | conv 4 k3") == {
        "papers": 108 * 36, "torchinfo": (108 + 4) * 36, "fvcore": 108 * 36,
        "ptflops": 108 * 36 + 4 * 36}


def test_deconv():
    # 3x8x8 -> 4x17x17 ((8 - 1)·2 + 3 = 17); 3·4·9 = 108 weights scattered from 64 inputs;
    # torchinfo counts a ConvTranspose like any conv: on its 289 output positions
    assert totals("input 3x8x8 | deconv 4 k3 s2") == {
        "papers": 108 * 64, "torchinfo": (108 + 4) * 289, "fvcore": 108 * 64,
        "ptflops": 108 * 64 + 4 * 289}


def test_fc_with_and_without_bias():
    assert totals("input 3x8x8 | fc 5") == {
        "papers": 192 * 5, "torchinfo": 192 * 5 + 5, "fvcore": 192 * 5, "ptflops": 192 * 5 + 5}
    assert set(totals("input 3x8x8 | fc 5 nobias").values()) == {192 * 5}


def test_batch_norm():
    # 3 channels: 6 parameters (torchinfo); 192 elements, 2 each (fvcore, ptflops)
    assert totals("input 3x8x8 | bn") == {"papers": 0, "torchinfo": 6, "fvcore": 384,
                                          "ptflops": 384}


@pytest.mark.parametrize("kind, ptflops_times", [
    ("relu", 2), ("gelu", 2), ("elu", 2), ("prelu", 2),  # module hook and patched function
    ("leakyrelu", 1), ("relu6", 1),                      # the module hook alone
    ("silu", 1), ("softmax", 1),                         # the patched function alone
    ("sigmoid", 0), ("tanh", 0), ("hardswish", 0)])      # neither
def test_activations(kind, ptflops_times):
    counted = totals(f"input 3x8x8 | {kind}")
    assert counted["ptflops"] == ptflops_times * 192
    assert counted["fvcore"] == counted["papers"] == 0
    assert counted["torchinfo"] == (1 if kind == "prelu" else 0)  # prelu's one slope


@pytest.mark.parametrize("spec, fvcore, ptflops", [
    ("input 3x8x8 | avgpool global", 192, 2 * 192),  # adaptive average: 1 per input element
    ("input 3x8x8 | avgpool out=2", 192, 2 * 192),
    ("input 3x8x8 | avgpool k2", 0, 2 * 192),        # a window pool has no fvcore handle
    ("input 3x8x8 | maxpool k2", 0, 2 * 192),
    ("input 3x8x8 | maxpool global", 0, 2 * 192),
    ("input 3x8 | avgpool global", 0, 2 * 24),       # only the 2-D adaptive op has a handle
])
def test_pooling(spec, fvcore, ptflops):
    assert totals(spec) == {"papers": 0, "torchinfo": 0, "fvcore": fvcore, "ptflops": ptflops}


def test_upsample():
    # 3x8x8 -> 3x16x16: 768 outputs; fvcore 1 each (2-D nearest only), ptflops twice
    assert totals("input 3x8x8 | upsample 2") == {"papers": 0, "torchinfo": 0, "fvcore": 768,
                                                  "ptflops": 2 * 768}
    assert totals("input 3x8 | upsample 2")["fvcore"] == 0


def test_lrn_under_ptflops():
    # x·x, ·alpha, +k: 3 x 192; the mean over 3 + 5 - 1 = 7 padded channels at 64 positions
    assert totals("input 3x8x8 | lrn 5")["ptflops"] == 3 * 192 + 7 * 64


def test_batch_multiplies_every_convention():
    one = totals("input 3x8x8 | conv 4 k3 | bn | relu | maxpool k2")
    two = totals("input 3x8x8 | conv 4 k3 | bn | relu | maxpool k2",
                 input="3x8x8 batch=2")
    assert two == {c: 2 * n for c, n in one.items()}


def test_a_small_net_by_category():
    # conv 3->4 k3 (36 positions, 108 weights, 4 biases), bn on 144 elements, relu on 144,
    # maxpool k2 reading 144
    rec = reconcile(analyze("input 3x8x8 | conv 4 k3 | bn | relu | maxpool k2"))
    assert rec.counts["ptflops"] == {
        "conv/fc MACs": 108 * 36, "conv and fc bias": 4 * 36, "batch norm": 2 * 144,
        "activations": 2 * 144, "pooling": 2 * 144, "upsampling": 0, "merges": 0,
        "other layers": 0}
    assert rec.counts["torchinfo"]["batch norm"] == 8
    for c in NAMES:
        assert rec.totals[c] == sum(rec.counts[c].values())


def test_under_replaces_rows_and_totals():
    report = analyze("input 3x8x8 | conv 4 k3 | bn")
    counted = under(report, "torchinfo")
    # the bn has 4 channels: 8 parameters
    assert [r.macs for r in counted.rows] == [(108 + 4) * 36, 8]
    assert counted.totals.macs == (108 + 4) * 36 + 8
    assert counted.totals.flops == 2 * counted.totals.macs
    assert counted.convention == "torchinfo" and report.convention == "papers"


def test_symbolic():
    import sympy

    report = analyze("input 3xHxW | bn")
    macs = report.json_value(macs_under(report, "fvcore"))
    H, W = sympy.symbols("H W", positive=True, integer=True)
    assert sympy.sympify(macs, locals={"H": H, "W": W}) == 6 * H * W


# --- the command line --------------------------------------------------------------------

def test_cli_convention_json():
    result = cli("analyze", "resnet50", "--convention", "fvcore", "--json", "-q")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["totals"]["convention"] == "fvcore"
    assert data["totals"]["macs"] == ZOO["resnet50"]["fvcore_flops"]
    assert data["totals"]["flops"] == 2 * ZOO["resnet50"]["fvcore_flops"]
    assert sum(layer["macs"] for layer in data["layers"]) == ZOO["resnet50"]["fvcore_flops"]


def test_cli_default_is_papers():
    data = json.loads(cli("analyze", "resnet18", "--json", "-q").stdout)
    assert data["totals"]["convention"] == "papers"
    assert data["totals"]["macs"] == ZOO["resnet18"]["macs"]


def test_cli_convention_table_markdown_csv():
    result = cli("analyze", "resnet18", "--convention", "torchinfo", "-q", "--no-color")
    assert "MACs, as torchinfo counts" in result.stdout
    assert f"{ZOO['resnet18']['torchinfo_mult_adds']:,}" in result.stdout
    markdown = cli("analyze", "resnet18", "--convention", "ptflops", "-q", "--format",
                   "markdown").stdout
    assert f"{ZOO['resnet18']['ptflops_macs']:,}" in markdown
    csv = cli("analyze", "input 3x8x8 | bn", "--convention", "fvcore", "--format", "csv").stdout
    assert csv.splitlines()[1].split(",")[7:9] == ["384", "768"]  # macs, flops


def test_cli_reconciliation_table():
    result = cli("analyze", "resnet50", "--conventions", "-q", "--no-color")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    total = next(line for line in lines if line.strip().startswith("total"))
    assert total.split()[1:] == [f"{ZOO['resnet50'][FIGURE[c]]:,}" for c in NAMES]
    assert "FLOPs = 2 x MACs" in result.stdout


def test_cli_reconciliation_json():
    data = json.loads(cli("analyze", "resnet50", "--conventions", "--json", "-q").stdout)
    assert data["unit"] == "MACs"
    assert [c["name"] for c in data["conventions"]] == list(NAMES)
    for c in data["conventions"]:
        assert c["macs"] == ZOO["resnet50"][FIGURE[c["name"]]]
        assert c["flops"] == 2 * c["macs"]
        assert list(c["counts"]) == data["categories"]
        assert sum(c["counts"].values()) == c["macs"]


def test_cli_reconciliation_markdown():
    markdown = cli("analyze", "alexnet", "--conventions", "--format", "markdown", "-q").stdout
    assert markdown.startswith("| counted | papers | torchinfo | fvcore | ptflops |")
    assert (f"| **total** | " + " | ".join(f"**{ZOO['alexnet'][FIGURE[c]]:,}**" for c in NAMES)
            + " |") in markdown


@pytest.mark.parametrize("args", [
    ["--convention", "thop"],
    ["--conventions", "--format", "csv"],
    ["--conventions", "--convention", "fvcore"],
])
def test_cli_errors(args):
    result = CliRunner().invoke(main, ["analyze", "input 3x8x8 | bn", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
