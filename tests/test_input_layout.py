"""`--input` is read in the spec's layout, and says so (issue 15, item 4).

On a spec written channels last (`layout=hwc`), `--input 3x64x64` is 3 rows, 64 columns and
64 channels. When that shape fails and the spec's own input does not, the error is the
option's: it is located in `--input`, says how the shape was read and gives both ways to
write channels first. `--help` says which layout the option is read in.
"""

import json

import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main

HWC = "input 32x32x3 layout=hwc | conv 10 k5 p2"
# read channels last, --input 3x64x64 gives this conv 3 rows, and 5 > 3: it fails
HWC_NO_PAD = "input 32x32x3 layout=hwc | conv 10 k5"
CONV_AT = HWC_NO_PAD.index("k5") + 1   # the column of k5, where the spec's check is located


def run(*args):
    return CliRunner().invoke(main, list(args))


def clean(result):
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)


READ_AS = ("--input 3x64x64 is read channels last, like the spec's input (layout=hwc): "
           "3 rows, 64 columns, 64 channels; then <spec>:1:{col} fails: conv: kernel 5 is "
           "larger than the padded input 3 (rows: 3 + padding 0). If the channels come first, "
           "write --input 64x64x3 (or --input \"3x64x64 layout=chw\")")


@pytest.mark.parametrize("command", ["analyze", "explain", "run", "verify"])
def test_a_channels_first_input_on_an_hwc_spec_is_the_options_error(command):
    r = run(command, HWC_NO_PAD, "--input", "3x64x64")
    clean(r)
    assert r.exit_code == 2, r.output
    head, shown, caret = r.stderr.splitlines()[:3]
    assert head == "--input:1:1: error: " + READ_AS.format(col=CONV_AT)
    assert shown == "  3x64x64"
    assert caret == "  ^~~~~~~"


def test_the_api_locates_it_in_the_option():
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.analyze(HWC_NO_PAD, input="3x64x64")
    assert e.value.span.source.name == "--input"
    assert e.value.message == READ_AS.format(col=CONV_AT)


def test_three_d_input_names_slices_rows_and_columns():
    spec = "input 16x16x16x3 layout=hwc | conv 4 k5"
    r = run("analyze", spec, "--input", "3x16x16x16")
    assert r.exit_code == 2
    message = r.stderr.splitlines()[0]
    assert message.startswith("--input:1:1: error: --input 3x16x16x16 is read channels last, "
                              "like the spec's input (layout=hwc): 3 slices, 16 rows, "
                              "16 columns, 16 channels; then ")
    assert message.endswith("write --input 16x16x16x3 (or --input \"3x16x16x16 layout=chw\")")


def test_one_row_and_one_channel_are_singular():
    r = run("analyze", HWC_NO_PAD, "--input", "1x64x1")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0].startswith(
        "--input:1:1: error: --input 1x64x1 is read channels last, like the spec's input "
        "(layout=hwc): 1 row, 64 columns, 1 channel; then ")


def test_a_shape_with_the_specs_channel_count_is_read_as_meant():
    # 64x64x3 keeps the spec's 3 channels: read as meant, the input is too small for k100,
    # which is the spec's layer's error, as on any spec
    spec = "input 224x224x3 layout=hwc | conv 10 k100"
    r = run("analyze", spec, "--input", "64x64x3")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == (f"<spec>:1:{spec.index('k100') + 1}: error: conv: "
                                        f"kernel 100 is larger than the padded input 64 (rows: "
                                        f"64 + padding 0)")


def test_the_shape_written_channels_last_is_read_as_intended():
    data = json.loads(run("analyze", HWC, "--input", "64x64x3", "--json").stdout)
    assert data["input"]["shape"] == [64, 64, 3]
    assert data["totals"]["output_shape"] == [64, 64, 10]   # (64 - 5 + 2·2)/1 + 1 = 64
    assert data["totals"]["params"] == 760                   # (5·5·3 + 1)·10


def test_layout_given_with_the_option_wins():
    data = json.loads(run("analyze", HWC, "--input", "3x64x64 layout=chw", "--json").stdout)
    assert data["input"]["layout"] == "chw"
    assert data["totals"]["output_shape"] == [10, 64, 64]


def test_an_hwc_spec_broken_on_its_own_is_the_specs_error():
    spec = "input 32x32x3 layout=hwc | conv 10 k50"      # 50 > 32 with its own input too
    r = run("analyze", spec, "--input", "3x64x64")
    assert r.exit_code == 2
    errors = [line for line in r.stderr.splitlines() if ": error: " in line]
    assert errors[0] == (f"<spec>:1:{spec.index('k50') + 1}: error: conv: "
                                        f"kernel 50 is larger than the padded input 3 (rows: "
                                        f"3 + padding 0)")


def test_a_channels_first_spec_keeps_the_error_at_the_layer():
    spec = "input 3x32x32 | conv 10 k5"
    r = run("analyze", spec, "--input", "3x4x4")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0].startswith(f"<spec>:1:{spec.index('k5') + 1}: error: conv: "
                                               f"kernel 5 is larger than the padded input 4")


@pytest.mark.parametrize("command", ["analyze", "explain", "run", "verify", "solve"])
def test_help_says_which_layout_input_is_read_in(command):
    text = " ".join(run(command, "--help").output.split())
    assert ("--input SHAPE Replace the spec's input shape, e.g. 3x320x320. It is read in the "
            "spec's layout: CxHxW, or HxWxC (320x320x3) when the spec's input says "
            "layout=hwc; \"3x320x320 layout=chw\" overrides it.") in text
