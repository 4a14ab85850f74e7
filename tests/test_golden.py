"""Golden files: the rendered table (rich, 100 columns, no colour) and the `--json` object of two
small specs, compared with tests/golden/. Regenerate deliberately with

    CNNCALC_REGEN=1 /work/venv/bin/python -m pytest tests/test_golden.py

and review the diff: a golden copied from wrong output proves nothing. Every number in the
goldens was checked by hand when they were saved; the checks are written out here.

CIFAR (the course's CIFAR-10 net), input 3x32x32, float32:
  1 conv1 16 k3 p1  3x32x32 -> 16x32x32 ((32 + 2 - 3) + 1); params 3·16·9 + 16 = 448;
                    MACs 432·32·32 = 442,368; FLOPs 884,736; rf 3, jump 1, start 0;
                    bytes 16·1024·4 = 65,536
  2 relu1           same shape, 0, rf 3
  3 maxpool1 k2     16x16x16; rf 3 + 1·1 = 4, jump 2, start 0 + (1/2)·1 = 0.5; bytes 16,384
  4 conv2 20 k3 p1  20x16x16; params 16·20·9 + 20 = 2,900; MACs 2,880·256 = 737,280;
                    FLOPs 1,474,560; rf 4 + 2·2 = 8, jump 2, start 0.5 + (1 - 1)·2 = 0.5;
                    bytes 20·256·4 = 20,480
  5 relu2
  6 maxpool2 k2     20x8x8; rf 8 + 1·2 = 10, jump 4, start 0.5 + (1/2)·2 = 1.5; bytes 5,120
  7 fc 10           flattens 20·8·8 = 1,280; params 12,800 + 10 = 12,810; MACs 12,800;
                    rf combines the 8 positions like a window: 10 + (8 - 1)·4 = 38 (jump
                    4·8 = 32, start 1.5 + (7/2)·4 = 15.5); bytes 40
  lines: rows 1-3 on line 2, 4-6 on line 3, fc on line 4
  totals: params 448 + 2,900 + 12,810 = 16,158 (buffers 0); MACs 442,368 + 737,280 + 12,800
  = 1,192,448 (1.19 M), FLOPs 2,384,896 (2.38 M); input 3·1024·4 = 12,288 B (0.01 MB);
  activations (torchinfo: 2 × outputs of layers with weights) 2·(65,536 + 20,480 + 40) =
  172,112 B (0.17 MB); params 16,158·4 = 64,632 B (0.06 MB); total 249,032 B (0.25 MB).
  (Memory is shown in torchinfo's MB, 10^6 bytes: 172,112 / 10^6 = 0.172 -> 0.17.)
  weights 432 + 2,880 + 12,800 = 16,112, biases 16 + 20 + 10 = 46 (= 16,158 params);
  padding [1, 1] per axis for the convs, [0, 0] for the pools, null for relu and fc;
  rf_features: maxpool2's 10 (the last row with spatial output; the fc's field is 38);
  no batch norm: the table has no Buffers line.

RESIDUAL (a downsampling basic block in a def), input 16x8x8:
  1 conv1 32 k3 s2 p1 nobias  32x4x4 (floor((8 + 2 - 3)/2) + 1 = 4, a 4.50 warning at 2:14);
                    params 16·32·9 = 4,608; MACs 4,608·16 = 73,728; rf 3, jump 2, start 0;
                    bytes 32·16·4 = 2,048 (every row of this net outputs 32x4x4: 2,048 B)
  2 bn1             params 2·32 = 64, buffers 64
  3 relu
  4 conv2 32 k3 p1 nobias     params 32·32·9 = 9,216; MACs 9,216·16 = 147,456;
                    rf 3 + 2·2 = 7, jump 2, start 0 + (1 - 1)·2 = 0
  5 bn2             64 / 64
  6 downsample.0 conv 32 k1 s2  input 16x8x8 (the block's input), (8 - 1)//2 + 1 = 4 (a
                    4.50 warning at 2:101); params 16·32 = 512; MACs 512·16 = 8,192; rf 1,
                    jump 2
  7 downsample.1 bn 64 / 64       (the downsample group: 576 params, 8,192 MACs)
  8 add             rf max(7, 1) = 7, jump 2
  9 relu            line 3
  totals: params 4,608 + 9,216 + 512 + 3·64 = 14,528; buffers 3·64 = 192; MACs 73,728 +
  147,456 + 8,192 = 229,376 (229.38 K); FLOPs 458,752 (458.75 K); input 16·64·4 = 4,096 B
  (0.00 MB); activations 2·6·2,048 = 24,576 B (0.02 MB); param_bytes 14,528·4 = 58,112 B
  (0.06 MB; torchinfo's "Params size" counts parameters, not the BN buffers); total 4,096 +
  24,576 + 58,112 = 86,784 B (0.0868 -> 0.09 MB); the input's 4,096 B would show as 0.00
  MB, so the table shows it in bytes. Weights 4,608 + 9,216 + 512 + 3·32 (BN scales) =
  14,432, biases 3·32 (BN shifts) = 96; padding [1, 1] for conv1 and conv2, [0, 0] for the
  1x1 downsample; rf_features 7 (every row is spatial).
  The two warnings (JSON objects named "tiling") are block1.conv1 at 2:14 and
  block1.downsample.0 at 2:101.
  Sources show the def's values resolved (conv 32 ..., not conv c ...).
"""

import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import cnncalc
from cnncalc.cli import main
from cnncalc.render.table import print_report

GOLDEN = Path(__file__).resolve().parent / "golden"
REGEN = os.environ.get("CNNCALC_REGEN") == "1"

SPECS = {
    "cifar_course": (
        "input 3x32x32\n"
        "conv 16 k3 p1 | relu | maxpool k2\n"
        "conv 20 k3 p1 | relu | maxpool k2\n"
        "fc 10\n"
    ),
    "residual_block": (
        "def block(c) {\n"
        "  residual { conv c k3 s2 p1 nobias | bn | relu | conv c k3 p1 nobias | bn }"
        " shortcut downsample: [ conv c k1 s2 nobias | bn ]\n"
        "  relu\n"
        "}\n"
        "input 16x8x8\n"
        "block(32)\n"
    ),
}


def render_table(spec: str) -> str:
    report = cnncalc.analyze(spec)
    console = Console(width=100, record=True, file=io.StringIO(), color_system=None,
                      no_color=True, highlight=False)
    print_report(report, console=console)
    text = console.export_text(styles=False)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


def cli_json(spec: str) -> dict:
    result = CliRunner().invoke(main, ["analyze", spec, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def check_text(path: Path, actual: str) -> None:
    if REGEN:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path.name} is missing: run with CNNCALC_REGEN=1 and review it"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_table_golden(name):
    check_text(GOLDEN / f"{name}.table.txt", render_table(SPECS[name]))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_json_golden(name):
    actual = cli_json(SPECS[name])
    path = GOLDEN / f"{name}.json"
    if REGEN:
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.exists(), f"{path.name} is missing: run with CNNCALC_REGEN=1 and review it"
    assert actual == json.loads(path.read_text(encoding="utf-8"))


# The hand checks above, asserted against the goldens themselves, so a regenerated golden that
# drifted from the arithmetic fails here even when someone regenerates without reading it.

def test_cifar_golden_numbers():
    data = json.loads((GOLDEN / "cifar_course.json").read_text(encoding="utf-8"))
    rows = data["layers"]
    assert [r["output_shape"] for r in rows] == [[16, 32, 32], [16, 32, 32], [16, 16, 16],
                                                  [20, 16, 16], [20, 16, 16], [20, 8, 8], [10]]
    assert [r["params"] for r in rows] == [448, 0, 0, 2900, 0, 0, 12810]
    assert [r["macs"] for r in rows] == [442368, 0, 0, 737280, 0, 0, 12800]
    assert [r["rf"][0] for r in rows] == [3, 3, 4, 8, 8, 10, 38]   # fc: 10 + (8 - 1)·4
    assert [r["start"][0] for r in rows] == [0, 0, 0.5, 0.5, 0.5, 1.5, 15.5]
    assert [r["line"] for r in rows] == [2, 2, 2, 3, 3, 3, 4]
    # (3·9 + 1)·16·32·32, 4 per pooled output·16·16·16, (16·9 + 1)·20·16·16, 4·20·8·8, 1281·10
    assert [r["connections"] for r in rows] == [458752, 0, 16384, 742400, 0, 5120, 12810]
    assert data["totals"]["connections"] == 458752 + 16384 + 742400 + 5120 + 12810
    t = data["totals"]
    assert (t["params"], t["macs"], t["flops"]) == (16158, 1192448, 2384896)
    assert (t["input_bytes"], t["activation_bytes"], t["param_bytes"], t["total_bytes"]) == \
        (12288, 172112, 64632, 249032)
    assert [r["weights"] for r in rows] == [432, 0, 0, 2880, 0, 0, 12800]
    assert [r["biases"] for r in rows] == [16, 0, 0, 20, 0, 0, 10]
    assert (t["weights"], t["biases"]) == (16112, 46)
    assert [r["padding"] for r in rows] == [[[1, 1]] * 2, None, [[0, 0]] * 2, [[1, 1]] * 2,
                                            None, [[0, 0]] * 2, None]
    assert t["rf"] == [38, 38] and t["rf_features"] == [10, 10]
    assert data["input"]["batch"] == 1
    table = (GOLDEN / "cifar_course.table.txt").read_text(encoding="utf-8")
    for figure in ("16,158", "1,192,448 (1.19 M)", "2,384,896 (2.38 M)", "0.17 MB",
                   "0.25 MB", "12,810", "737,280", "10x10", "32x32", "1280", "16,112"):
        assert figure in table, figure
    assert "Buffers" not in table


def test_residual_golden_numbers():
    data = json.loads((GOLDEN / "residual_block.json").read_text(encoding="utf-8"))
    rows = data["layers"]
    # dsl.md §6: the call is block1; the merge adds no segment; the labelled, numbered
    # shortcut is downsample.0, downsample.1 (torchvision's names); relu1 and relu2 are the
    # block's two unlabelled relus
    assert [r["path"] for r in rows] == [
        "block1.conv1", "block1.bn1", "block1.relu1", "block1.conv2", "block1.bn2",
        "block1.downsample.0", "block1.downsample.1", "block1.add1", "block1.relu2"]
    assert all(r["output_shape"] == [32, 4, 4] for r in rows)
    assert rows[5]["input_shape"] == [16, 8, 8]
    assert [r["params"] for r in rows] == [4608, 64, 0, 9216, 64, 512, 64, 0, 0]
    assert [r["buffers"] for r in rows] == [0, 64, 0, 0, 64, 0, 64, 0, 0]
    assert [r["macs"] for r in rows] == [73728, 0, 0, 147456, 0, 8192, 0, 0, 0]
    assert [r["rf"][0] for r in rows] == [3, 3, 3, 7, 7, 1, 1, 7, 7]
    # no biases: the convolutions' connections are their MACs (16·9·32·16, 32·9·32·16,
    # 16·32·16); batch norm, activations and the merge count none
    assert [r["connections"] for r in rows] == [73728, 0, 0, 147456, 0, 8192, 0, 0, 0]
    assert rows[7]["kind"] == "add"
    t = data["totals"]
    assert (t["params"], t["buffers"], t["macs"]) == (14528, 192, 229376)
    assert (t["input_bytes"], t["activation_bytes"], t["param_bytes"], t["total_bytes"]) == \
        (4096, 24576, 58112, 86784)
    assert rows[0]["source"] == "conv 32 k3 s2 p1 nobias"
    assert [r["weights"] for r in rows] == [4608, 32, 0, 9216, 32, 512, 32, 0, 0]
    assert [r["biases"] for r in rows] == [0, 32, 0, 0, 32, 0, 32, 0, 0]
    assert (t["weights"], t["biases"]) == (14432, 96)
    assert rows[0]["padding"] == rows[3]["padding"] == [[1, 1], [1, 1]]
    assert rows[5]["padding"] == [[0, 0], [0, 0]]
    assert t["rf_features"] == [7, 7]
    assert len(data["warnings"]) == 2
    assert all("4.50" in json.dumps(w) for w in data["warnings"])
    assert [(w["name"], w["path"], w["line"], w["col"]) for w in data["warnings"]] == [
        ("tiling", "block1.conv1", 2, 14), ("tiling", "block1.downsample.0", 2, 101)]
    table = (GOLDEN / "residual_block.table.txt").read_text(encoding="utf-8")
    for figure in ("14,528", "229,376 (229.38 K)", "8,192", "147,456", "192", "0.09 MB",
                   "4,096 bytes", "14,432"):
        assert figure in table, figure
