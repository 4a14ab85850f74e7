"""The NumPy executor against PyTorch: every layer kind on random data in float64 (relative
error at most 1e-5), weights passed from the torch module's state_dict under the row's path,
and a whole ResNet-18 and MobileNetV2 built here as plain torch modules (with torchvision's
module names) giving the same logits. Skips cleanly without torch."""

from pathlib import Path

import numpy as np
import pytest

import cnncalc
from cnncalc import CnnCalcError

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

RNG = np.random.default_rng(7)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def same(spec, torch_fn, shape, weights=None, x=None):
    """Run `spec` on a random float64 input; compare with `torch_fn(x)`."""
    if x is None:
        x = RNG.standard_normal((2,) + shape)
    ours = cnncalc.run(spec, x, weights=weights, dtype="float64")
    with torch.no_grad():
        theirs = torch_fn(torch.from_numpy(x)).numpy()
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-9)


def state(module, prefix):
    module.double().eval()
    return {f"{prefix}.{k}": v.detach().numpy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("spec, module, shape", [
    ("conv 6 k3 s2 p1", lambda: nn.Conv2d(4, 6, 3, 2, 1), (4, 9, 11)),
    ("conv 8 k3 d2 g2 p2", lambda: nn.Conv2d(4, 8, 3, padding=2, dilation=2, groups=2),
     (4, 10, 10)),
    ("conv 5 k3x5 s2x1 p1x2 nobias", lambda: nn.Conv2d(4, 5, (3, 5), (2, 1), (1, 2),
                                                       bias=False), (4, 9, 8)),
    ("dwconv k3 p1 mult=2", lambda: nn.Conv2d(4, 8, 3, padding=1, groups=4), (4, 8, 8)),
    ("conv 3 k3 s2", lambda: nn.Conv1d(2, 3, 3, 2), (2, 9)),
    ("conv 3 k3 p1 s2", lambda: nn.Conv3d(2, 3, 3, 2, 1), (2, 5, 6, 7)),
    ("deconv 6 k4 s2 p1 op=1 g2", lambda: nn.ConvTranspose2d(4, 6, 4, 2, 1, 1, groups=2),
     (4, 5, 5)),
    ("deconv 3 k3 s2 d2 op=1", lambda: nn.ConvTranspose2d(4, 3, 3, 2, output_padding=1,
                                                          dilation=2), (4, 4, 6)),
    ("deconv 3 k2 s3 p1", lambda: nn.ConvTranspose1d(2, 3, 2, 3, 1), (2, 7)),
    ("fc 5", lambda: nn.Sequential(nn.Flatten(), nn.Linear(48, 5)), (3, 4, 4)),
    ("prelu per_channel", lambda: nn.PReLU(3), (3, 5, 5)),
])
def test_layers_with_weights(spec, module, shape):
    m = module()
    with torch.no_grad():
        for p in m.parameters():  # not the defaults: any slope, any bias
            p.copy_(torch.randn_like(p))
    weights = state(m if not isinstance(m, nn.Sequential) else m[1], "layer")
    same(f"input {'x'.join(map(str, shape))} | layer: {spec}", m, shape, weights)


def test_batch_norm_with_running_statistics():
    m = nn.BatchNorm2d(4)
    with torch.no_grad():
        m.running_mean.copy_(torch.randn(4))
        m.running_var.copy_(torch.rand(4) + 0.5)
        m.weight.copy_(torch.randn(4))
        m.bias.copy_(torch.randn(4))
    weights = state(m, "bn")
    assert "bn.num_batches_tracked" in weights  # accepted and ignored
    same("input 4x5x5 | bn: bn", m, (4, 5, 5), weights)


@pytest.mark.parametrize("spec, fn, shape", [
    ("maxpool k3 s2 p1 ceil", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (3, 9, 9)),
    ("maxpool k3 s2 ceil", lambda x: F.max_pool2d(x, 3, 2, ceil_mode=True), (3, 8, 8)),
    ("avgpool k3 s2 p1 ceil", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), (3, 8, 8)),
    ("avgpool k2", lambda x: F.avg_pool2d(x, 2), (3, 7, 7)),
    ("maxpool k2 d2", lambda x: F.max_pool2d(x, 2, dilation=2), (3, 9, 9)),
    ("maxpool k3 s2 p1", lambda x: F.max_pool1d(x, 3, 2, 1), (3, 10)),
    ("avgpool global", lambda x: F.adaptive_avg_pool2d(x, 1), (3, 5, 6)),
    ("maxpool global", lambda x: F.adaptive_max_pool2d(x, 1), (3, 5, 6)),
    ("avgpool out=3x4", lambda x: F.adaptive_avg_pool2d(x, (3, 4)), (3, 10, 7)),
    ("maxpool out=4", lambda x: F.adaptive_max_pool2d(x, 4), (3, 9, 6)),
    ("flatten", lambda x: x.flatten(1), (3, 4, 5)),
    ("dropout 0.5", lambda x: x, (3, 4, 4)),
    ("lrn 5", lambda x: F.local_response_norm(x, 5), (7, 4, 4)),
    ("lrn 4", lambda x: F.local_response_norm(x, 4), (7, 3, 3)),
    ("upsample 2", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), (3, 4, 5)),
    ("upsample 3x2", lambda x: F.interpolate(x, scale_factor=(3, 2), mode="nearest"),
     (3, 4, 5)),
    ("pad 1x2", lambda x: F.pad(x, (2, 2, 1, 1)), (3, 4, 5)),
    ("shuffle 3", lambda x: F.channel_shuffle(x, 3), (6, 4, 4)),
])
def test_layers_without_weights(spec, fn, shape):
    same(f"input {'x'.join(map(str, shape))} | {spec}", fn, shape)


def test_same_padding_puts_the_odd_pixel_after():
    m = nn.Conv2d(3, 4, 4)
    weights = state(m, "c")
    # k4, s1 on 8: total padding 3, one before and two after
    same("input 3x8x8 | c: conv 4 k4 p=same", lambda x: m(F.pad(x, (1, 2, 1, 2))), (3, 8, 8),
         weights)


@pytest.mark.parametrize("name, fn", [
    ("relu", F.relu), ("relu6", F.relu6), ("elu", F.elu), ("selu", F.selu), ("gelu", F.gelu),
    ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("silu", F.silu),
    ("hardswish", F.hardswish), ("hardsigmoid", F.hardsigmoid), ("mish", F.mish),
    ("softmax", lambda x: F.softmax(x, dim=1)), ("leakyrelu 0.2", lambda x: F.leaky_relu(x, 0.2)),
])
def test_activations(name, fn):
    same(f"input 3x4x4 | {name}", fn, (3, 4, 4))


def test_embedding():
    m = nn.Embedding(20, 4)
    weights = state(m, "e")
    ids = RNG.integers(0, 20, size=(2, 7))
    ours = cnncalc.run("input 7 | e: embed 20 4", ids, weights=weights, dtype="float64")
    theirs = m(torch.from_numpy(ids)).transpose(1, 2).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    with pytest.raises(CnnCalcError):
        cnncalc.run("input 3 | embed 5 2", np.array([[0, 1, 9]]))


def test_merges():
    # concat, add, mul (broadcast) and split, written out in torch
    spec = ("input 4x6x6 | concat { relu } { sigmoid } | add { } { tanh } | "
            "mul { } { avgpool global } | split { } { relu }")

    def fn(x):
        y = torch.cat([F.relu(x), torch.sigmoid(x)], 1)
        y = y + torch.tanh(y)
        y = y * F.adaptive_avg_pool2d(y, 1)
        a, b = torch.chunk(y, 2, 1)
        return torch.cat([a, F.relu(b)], 1)

    same(spec, fn, (4, 6, 6))


# --- a whole net: ResNet-18 as torchvision builds it, written here ---------------------------

class Basic(nn.Module):
    def __init__(self, cin, c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.downsample = None
        if stride != 1 or cin != c:
            self.downsample = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False),
                                            nn.BatchNorm2d(c))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = nn.Sequential(Basic(64, 64, 1), Basic(64, 64, 1))
        self.layer2 = nn.Sequential(Basic(64, 128, 2), Basic(128, 128, 1))
        self.layer3 = nn.Sequential(Basic(128, 256, 2), Basic(256, 256, 1))
        self.layer4 = nn.Sequential(Basic(256, 512, 2), Basic(512, 512, 1))
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def test_resnet18_logits_equal_torch(tmp_path):
    torch.manual_seed(0)
    m = ResNet18().double().eval()
    with torch.no_grad():
        for mod in m.modules():  # batch-norm statistics that are not the identity
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "resnet18.npz"
    np.savez(path, **{k: v.numpy() for k, v in m.state_dict().items()})
    x = RNG.standard_normal((1, 3, 64, 64))
    ours = cnncalc.run("examples/resnet18.cnn", x, weights=str(path), dtype="float64",
                       input="3x64x64")
    with torch.no_grad():
        theirs = m(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-9)


# --- a whole net: MobileNetV2 as torchvision builds it, written here -------------------------

def conv_bn_relu6(cin, cout, k=1, s=1, groups=1):
    """torchvision's Conv2dNormActivation: children 0 (conv), 1 (batch norm), 2 (ReLU6)."""
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6())


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, s, t):
        super().__init__()
        hidden = cin * t
        expand = [conv_bn_relu6(cin, hidden)] if t != 1 else []
        self.conv = nn.Sequential(*expand, conv_bn_relu6(hidden, hidden, 3, s, groups=hidden),
                                  nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.use_res_connect = s == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    # t (expansion), c (channels), n (blocks), s (stride of the first): the paper's Table 2
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self):
        super().__init__()
        layers, cin = [conv_bn_relu6(3, 32, 3, 2)], 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(conv_bn_relu6(cin, 1280))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def test_mobilenet_v2_logits_equal_torch(tmp_path):
    torch.manual_seed(0)
    m = MobileNetV2().double().eval()
    assert len(m.features) == 19 and "features.17.conv.3.running_var" in m.state_dict()
    clipped = []  # per ReLU6: did any output reach 6
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):  # statistics, and gains above 1 so that
                mod.running_mean.uniform_(-0.1, 0.1)  # ReLU6 clips somewhere in most blocks
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(1, 3)
                mod.bias.uniform_(-0.1, 0.1)
            if isinstance(mod, nn.ReLU6):
                mod.register_forward_hook(lambda _, __, y: clipped.append(bool((y == 6).any())))
    path = tmp_path / "mobilenet_v2.npz"
    np.savez(path, **{k: v.numpy() for k, v in m.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64))  # its own: the count below
    ours = cnncalc.run(EXAMPLES / "mobilenet_v2.cnn", x, weights=str(path), dtype="float64",
                       input="3x64x64")
    with torch.no_grad():
        theirs = m(torch.from_numpy(x)).numpy()
    assert len(clipped) == 35 and sum(clipped) >= 20, clipped
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-9)


def test_weights_that_do_not_fit_are_named():
    m = nn.Conv2d(3, 4, 3)
    good = state(m, "c")
    with pytest.raises(CnnCalcError, match="'c.bias'"):
        cnncalc.run("input 3x5x5 | c: conv 4 k3", weights={"c.weight": good["c.weight"]})
    with pytest.raises(CnnCalcError, match="'c.weight' is 4x3x3x3"):
        cnncalc.run("input 3x5x5 | c: conv 5 k3", weights=good)
    with pytest.raises(CnnCalcError, match="no layer uses"):
        cnncalc.run("input 3x5x5 | c: conv 4 k3", weights={**good, "d.weight": good["c.bias"]})
