"""Params, MACs and receptive fields of traced torchvision models, checked against torchvision's
published metadata and against independent measurements on the running model."""
from __future__ import annotations

import copy
import math

import pytest
import torch
import torchvision
from torch import nn

from cnnviz import graph as g
from cnnviz.trace import is_leaf_module, trace_model

CLASSICS = ["alexnet", "vgg16", "googlenet", "resnet50", "densenet121"]
# Grouped (ResNeXt), depthwise (MobileNet v2, EfficientNet with squeeze-and-excitation),
# channel shuffle (ShuffleNet) and a transformer traced by the fallback recorder (ViT).
OTHERS = ["resnext50_32x4d", "mobilenet_v2", "efficientnet_b0", "shufflenet_v2_x1_0",
          "squeezenet1_1", "regnet_y_400mf", "convnext_tiny", "vit_b_32"]

_graphs: dict[str, object] = {}


def model_and_graph(name: str):
    """Build (random weights) and trace once per test session."""
    if name not in _graphs:
        weights = torchvision.models.get_model_weights(name).DEFAULT
        size = weights.transforms().crop_size[0]
        model = torchvision.models.get_model(name, weights=None).eval()
        _graphs[name] = (model, trace_model(model, torch.zeros(1, 3, size, size), name), size)
    return _graphs[name]


def reference(name: str) -> dict:
    return torchvision.models.get_model_weights(name).DEFAULT.meta


def executed_leaf_outputs(model: nn.Module, size: int) -> list[tuple[nn.Module, torch.Tensor]]:
    """Every leaf module the eval forward runs, with its real output (forward hooks)."""
    calls: list[tuple[nn.Module, torch.Tensor]] = []
    hooks = [m.register_forward_hook(lambda m, i, o: calls.append((m, o)))
             for m in model.modules() if is_leaf_module(m)]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, size, size))
    finally:
        for hook in hooks:
            hook.remove()
    return calls


@pytest.mark.parametrize("name,expected", [
    ("alexnet", 61_100_840), ("vgg16", 138_357_544), ("googlenet", 6_624_904),
    ("resnet50", 25_557_032), ("densenet121", 7_978_856)])
def test_params_of_the_classics_equal_the_published_counts(name: str, expected: int) -> None:
    _, graph, _ = model_and_graph(name)
    assert reference(name)["num_params"] == expected
    assert graph.graph[g.TOTAL_PARAMS] == expected
    assert sum(a[g.PARAMS] for _, a in graph.nodes(data=True)) == expected


@pytest.mark.parametrize("name", CLASSICS + OTHERS)
def test_params_equal_those_of_the_modules_the_forward_runs(name: str) -> None:
    model, graph, size = model_and_graph(name)
    run = {id(m): m for m, _ in executed_leaf_outputs(model, size)}.values()
    executed = {id(p): p.numel() for m in run for p in m.parameters()}
    # Parameters used outside leaf modules (class tokens, position embeddings, layer scales).
    inside_leaves = {id(p) for m in model.modules() if is_leaf_module(m) for p in m.parameters()}
    loose = {id(p): p.numel() for p in model.parameters() if id(p) not in inside_leaves}
    assert graph.graph[g.TOTAL_PARAMS] == sum(executed.values()) + sum(loose.values())


def test_googlenet_auxiliary_heads_are_not_counted() -> None:
    model, graph, _ = model_and_graph("googlenet")
    aux = sum(p.numel() for n, p in model.named_parameters() if n.startswith(("aux1", "aux2")))
    assert aux > 0
    assert graph.graph[g.TOTAL_PARAMS] == sum(p.numel() for p in model.parameters()) - aux
    assert not any(a[g.QUALNAME].startswith("aux") for _, a in graph.nodes(data=True))


@pytest.mark.parametrize("name", CLASSICS + OTHERS)
def test_macs_match_torchvision_published_operations(name: str) -> None:
    _, graph, _ = model_and_graph(name)
    published = reference(name)["_ops"] * 1e9
    # torchvision rounds _ops to three decimals (in billions): allow that rounding too.
    tolerance = max(0.005 * published, 0.0005e9)
    assert abs(graph.graph[g.TOTAL_MACS] - published) <= tolerance


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "resnet50", "mobilenet_v2",
                                  "resnext50_32x4d", "googlenet"])
def test_each_layers_macs_match_a_count_on_its_real_output(name: str) -> None:
    model, graph, size = model_and_graph(name)
    paths = {id(m): p for p, m in model.named_modules()}
    expected: dict[str, int] = {}
    for module, out in executed_leaf_outputs(model, size):
        if isinstance(module, nn.Conv2d):
            macs = out.numel() * module.weight[0].numel()  # each output: one filter's weights
        elif isinstance(module, nn.Linear):
            macs = out.numel() * module.in_features
        else:
            continue
        expected[paths[id(module)]] = expected.get(paths[id(module)], 0) + macs
    measured: dict[str, int] = {}
    for _, attrs in graph.nodes(data=True):
        if attrs[g.MACS]:
            measured[attrs[g.QUALNAME]] = measured.get(attrs[g.QUALNAME], 0) + attrs[g.MACS]
    assert measured == expected


# --------------------------------------------------------------------------------------------
# Receptive fields, measured as the support of the input gradient of one output position on a
# copy whose weights are all positive (so no contribution cancels) and whose max pools are
# average pools with the same window (so every position in a window passes gradient).


class _Stop(Exception):
    pass


def measured_receptive_field(model: nn.Module, module_path: str, size: int) -> tuple[int, int]:
    probe = copy.deepcopy(model).double().eval()
    for parent in list(probe.modules()):
        for child_name, child in parent.named_children():
            if isinstance(child, nn.MaxPool2d):
                setattr(parent, child_name, nn.AvgPool2d(child.kernel_size, child.stride,
                                                         child.padding, child.ceil_mode))
    with torch.no_grad():
        for module in probe.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.fill_(1.0 / module.weight[0].numel())
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()
                module.reset_running_stats()
    captured: list[torch.Tensor] = []

    def grab(_module, _inputs, output):
        captured.append(output)
        raise _Stop

    probe.get_submodule(module_path).register_forward_hook(grab)
    # Small positive values: nothing reaches ReLU6's flat top, where the gradient would be zero.
    image = torch.full((1, 3, size, size), 1e-3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(_Stop):
        probe(image)
    out = captured[0]
    out[0, :, out.shape[2] // 2, out.shape[3] // 2].sum().backward()
    support = image.grad[0].abs().sum(0) > 0
    rows = support.any(1).nonzero().flatten()
    cols = support.any(0).nonzero().flatten()
    assert rows[0] > 0 and cols[0] > 0 and rows[-1] < size - 1 and cols[-1] < size - 1, \
        "the field touches the image border: measure on a larger image"
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def node_of(graph, qualname: str) -> dict:
    """The last operation of a module (its output)."""
    matches = [a for _, a in graph.nodes(data=True)
               if a[g.QUALNAME] == qualname or any(p == qualname for p, _ in a[g.HIERARCHY])]
    return matches[-1]


@pytest.mark.parametrize("name,module_path,expected,jump,size", [
    ("alexnet", "features.12", 195, 32, 260),
    ("vgg16", "features.30", 212, 32, 288),
    ("resnet50", "layer4.2.conv3", 427, 32, 480),
    ("googlenet", "inception5b", 379, 32, 448),
    ("mobilenet_v2", "features.7", 75, 16, 224),
])
def test_receptive_field_equals_the_measured_gradient_support(
        name: str, module_path: str, expected: int, jump: int, size: int) -> None:
    model, graph, _ = model_and_graph(name)
    field = node_of(graph, module_path)[g.RF]
    assert field.size == (expected, expected) and field.jump == (jump, jump)
    assert measured_receptive_field(model, module_path, size) == (expected, expected)


@pytest.mark.parametrize("name", ["resnet50", "densenet121", "efficientnet_b0", "vit_b_32"])
def test_fields_become_global_after_positions_are_mixed(name: str) -> None:
    _, graph, _ = model_and_graph(name)
    output = graph.nodes["output"]
    assert output[g.RF].is_global
    pools = [a for _, a in graph.nodes(data=True)
             if a[g.CATEGORY] == g.Category.POOL and a[g.OUT_SHAPE][2:] == (1, 1)]
    assert all(a[g.RF].is_global for a in pools)


def test_squeeze_and_excitation_makes_the_field_global() -> None:
    _, graph, _ = model_and_graph("efficientnet_b0")
    scale = next(a for _, a in graph.nodes(data=True)
                 if a[g.CATEGORY] == g.Category.MUL and "features.1.0" in a[g.QUALNAME])
    assert scale[g.RF].is_global
    first_conv = graph.nodes["features_0_0"]
    assert first_conv[g.RF].size == (3, 3)


def test_activation_memory_is_the_size_of_each_output() -> None:
    _, graph, _ = model_and_graph("resnet50")
    conv1 = graph.nodes["conv1"]
    assert conv1[g.ACTIVATION_BYTES] == 64 * 112 * 112 * 4
    nodes = [a for _, a in graph.nodes(data=True)
             if a[g.CATEGORY] not in (g.Category.INPUT, g.Category.OUTPUT)]
    assert graph.graph[g.TOTAL_ACTIVATION_BYTES] == sum(
        math.prod(a[g.OUT_SHAPE]) * 4 for a in nodes)


def test_shares_sum_to_one() -> None:
    _, graph, _ = model_and_graph("vgg16")
    assert sum(a[g.PARAM_SHARE] for _, a in graph.nodes(data=True)) == pytest.approx(1.0)
    assert sum(a[g.MAC_SHARE] for _, a in graph.nodes(data=True)) == pytest.approx(1.0)
    fc1 = graph.nodes["classifier_0"]
    assert fc1[g.PARAM_SHARE] == pytest.approx((25088 * 4096 + 4096) / 138_357_544)


@pytest.mark.parametrize("name", ["swin_t", "maxvit_t"])
def test_attention_models_count_their_hidden_products(name: str) -> None:
    """Swin hides its attention in one wrapped call (the recorder sees inside); MaxViT uses
    einsum products and a relative position bias table used outside any layer."""
    _, graph, _ = model_and_graph(name)
    published = reference(name)
    assert graph.graph[g.TOTAL_PARAMS] == published["num_params"]
    assert abs(graph.graph[g.TOTAL_MACS] - published["_ops"] * 1e9) <= 0.005 * published["_ops"] * 1e9
    assert graph.graph[g.TRACER] == ("recorder" if name == "swin_t" else "torch.fx")
