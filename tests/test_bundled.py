"""The examples ship inside the package: any command takes an example's name as its SPEC
from any directory, and `cnncalc examples` lists them with their sources and reference
figures (read from the files' own opening comments)."""

import json
from pathlib import Path

from click.testing import CliRunner

import cnncalc
from cnncalc import bundled
from cnncalc.cli import main

HERE = Path(__file__).resolve().parent
ZOO = json.loads((HERE / "reference" / "zoo.json").read_text())["models"]
SHIPPED = HERE.parent / "cnncalc" / "examples"


def test_every_shipped_file_is_listed():
    assert bundled.names() == sorted(p.stem for p in SHIPPED.glob("*.cnn"))
    assert len(bundled.names()) == 16


def test_a_name_runs_the_bundled_example_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty directory: no examples/ here
    result = CliRunner().invoke(main, ["analyze", "--json", "resnet50"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    # torchvision's ResNet-50, measured (tests/reference/zoo.json)
    assert totals["params"] == ZOO["resnet50"]["params"] == 25_557_032
    assert cnncalc.analyze("vgg16.cnn").totals.params == ZOO["vgg16"]["params"]


def test_an_existing_file_of_that_name_comes_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("resnet50").write_text("input 1x8x8 | conv 2 k3\n")
    result = CliRunner().invoke(main, ["analyze", "--json", "resnet50"])
    # 1·3·3·2 + 2 = 20 parameters: the local file, not the bundled net
    assert json.loads(result.stdout)["totals"]["params"] == 20


def test_errors_in_a_bundled_example_name_the_example():
    source = cnncalc.loading.load("lenet5")
    assert source.name == "lenet5.cnn"


def test_the_listing_carries_source_and_reference_figures():
    result = CliRunner().invoke(main, ["examples", "--json"])
    assert result.exit_code == 0
    listing = {e["name"]: e for e in json.loads(result.stdout)}
    assert set(listing) == set(bundled.names())
    for name, entry in listing.items():
        assert entry["title"] and entry["source"] and entry["reference"], name
    # the figures measured from torchvision, as each file's header states them
    for name in ("alexnet", "resnet18", "resnet50", "vgg16", "googlenet", "lenet5"):
        assert f"{ZOO[name]['params']:,}" in listing[name]["reference"], name
    assert listing["resnet50"]["title"] == "ResNet-50"
    assert "Deep Residual Learning" in listing["resnet50"]["source"]


def test_the_table_lists_every_name():
    result = CliRunner().invoke(main, ["examples"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    for name in bundled.names():
        assert name in result.output


def test_one_example_prints_its_spec():
    result = CliRunner().invoke(main, ["examples", "lenet5"])
    assert result.exit_code == 0
    assert result.output == (SHIPPED / "lenet5.cnn").read_text()


def test_an_unknown_example_is_a_located_error():
    result = CliRunner().invoke(main, ["examples", "lenet"])
    assert result.exit_code == 2
    assert "no bundled example 'lenet', did you mean 'lenet5'?" in result.output
