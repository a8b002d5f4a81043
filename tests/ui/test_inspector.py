"""The inspector shows exactly the numbers the core computed, formatted by cnnviz.formatting."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision
from PySide6.QtCore import Qt
from torch import nn

from cnnviz import analysis, formatting, kernels
from cnnviz import graph as g
from cnnviz.tensor_layout import UNKNOWN, AxisLayout
from cnnviz.trace import trace_model
from cnnviz.ui.inspector import HINT, MOSAIC_WIDTH, Inspector


@pytest.fixture(scope="module")
def resnet():
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    return model, trace_model(model, torch.zeros(1, 3, 224, 224), "resnet18")


@pytest.fixture
def inspector(qtbot) -> Inspector:
    widget = Inspector()
    widget.resize(340, 900)
    qtbot.addWidget(widget)
    return widget


def test_conv1_shows_the_graph_numbers(inspector, resnet):
    _, graph = resnet
    attrs = graph.nodes["conv1"]
    inspector.show_node(attrs, graph.graph)
    expected = {
        "name": "conv1", "qualname": "conv1", "type": "Conv2d", "category": "conv",
        "params": formatting.count(attrs[g.PARAMS]),
        "trainable": formatting.count(attrs[g.TRAINABLE_PARAMS]),
        "non-trainable": "0",
        "macs": formatting.count(attrs[g.MACS]),
        "flops": formatting.count(2 * attrs[g.MACS]),
        "rf": attrs[g.RF].describe(),
        "in_shapes": formatting.shape(attrs[g.IN_SHAPES][0]),
        "out_shape": formatting.shape(attrs[g.OUT_SHAPE]),
        "activation": formatting.size_in_bytes(attrs[g.ACTIVATION_BYTES]),
        "param_share": formatting.percent(attrs[g.PARAM_SHARE]),
        "mac_share": formatting.percent(attrs[g.MAC_SHARE]),
    }
    assert {key: inspector.field_text(key) for key in expected} == expected
    assert inspector.field_note("macs") == formatting.metric(attrs[g.MACS])
    assert inspector.field_note("param_share") == \
        f"of {formatting.metric(graph.graph[g.TOTAL_PARAMS])}"
    assert not inspector.hint.isVisibleTo(inspector)
    assert not inspector.children_table.isVisibleTo(inspector)


def test_conv1_numbers_known_independently(inspector, resnet):
    _, graph = resnet
    inspector.show_node(graph.nodes["conv1"], graph.graph)
    assert inspector.field_text("params") == "9,408"  # 64 × 3 × 7 × 7, no bias
    assert inspector.field_text("macs") == "118,013,952"  # 9,408 × 112 × 112
    assert inspector.field_text("flops") == "236,027,904"
    assert inspector.field_text("rf") == "7×7 (jump 2)"
    assert inspector.field_text("in_shapes") == "1×3×224×224"
    assert inspector.field_text("out_shape") == "1×64×112×112"
    assert inspector.field_text("activation") == formatting.size_in_bytes(64 * 112 * 112 * 4)
    assert inspector.field_text("param_share") == formatting.percent(9408 / 11_689_512)
    assert inspector.field_text("mac_share") == formatting.percent(118_013_952 / 1_814_073_344)


def test_every_config_value_is_shown(inspector, resnet):
    _, graph = resnet
    attrs = graph.nodes["conv1"]
    inspector.show_node(attrs, graph.graph)
    assert set(attrs[g.CONFIG]) >= {"in_channels", "out_channels", "kernel_size", "stride",
                                    "padding", "dilation", "groups", "bias"}
    for key in attrs[g.CONFIG]:
        assert inspector.field_text(key)
    assert inspector.field_text("kernel_size") == "7×7"
    assert inspector.field_text("stride") == "2, 2"
    assert inspector.field_text("padding") == "3, 3"
    assert inspector.field_text("out_channels") == "64"
    assert inspector.field_text("groups") == "1"
    assert inspector.field_text("bias") == "no"
    assert inspector.field_text("padding_mode") == "zeros"

    inspector.show_node(graph.nodes["layer1_0_bn1"], graph.graph)  # config keys change
    assert inspector.field_text("num_features") == "64"
    assert inspector.field_text("eps") == formatting.metric(1e-5)
    assert inspector.field_text("affine") == "yes"
    with pytest.raises(KeyError):
        inspector.field_text("kernel_size")


def test_global_and_undefined_receptive_fields_and_multiple_inputs(inspector, resnet):
    _, graph = resnet
    inspector.show_node(graph.nodes["fc"], graph.graph)
    assert inspector.field_text("rf") == "global"
    add = graph.nodes["add"]
    inspector.show_node(add, graph.graph)
    assert inspector.field_text("in_shapes") == "1×64×56×56\n1×64×56×56"
    inspector.show_node({**add, g.RF: None}, graph.graph)
    assert inspector.field_text("rf") == "–"


def test_layouts_name_the_axes_of_each_output(inspector, resnet):
    _, graph = resnet
    collapsed = analysis.collapse(graph, depth=2)
    for attrs, name in ((graph.nodes["conv1"], "NCHW"), (graph.nodes["flatten"], "NC"),
                        (collapsed.nodes["layer2.0"], "NCHW"), (collapsed.nodes["fc"], "NC")):
        inspector.show_node(attrs, graph.graph)
        assert inspector.field_text("layout") == name
    tokens = AxisLayout(2, token_axis=1, grid=(14, 14), extra_tokens=1)
    inspector.show_node({**graph.nodes["fc"], g.LAYOUT: tokens}, graph.graph)
    assert inspector.field_text("layout") == "tokens 14×14 +1"
    inspector.show_node({**graph.nodes["fc"], g.LAYOUT: UNKNOWN}, graph.graph)
    assert inspector.field_text("layout") == "unknown"


def test_frozen_parameters_are_non_trainable(inspector):
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)).eval()
    model[0].weight.requires_grad_(False)  # 216 frozen, the bias (8) still trains
    graph = trace_model(model, torch.zeros(1, 3, 16, 16), "frozen")
    inspector.show_node(graph.nodes["_0"], graph.graph)
    assert (inspector.field_text("params"), inspector.field_text("trainable"),
            inspector.field_text("non-trainable")) == ("224", "8", "216")


def test_block_shows_sums_and_its_children(inspector, resnet):
    model, graph = resnet
    collapsed = analysis.collapse(graph, depth=2)
    attrs = collapsed.nodes["layer2.0"]
    children = [graph.nodes[name] for name in attrs[g.CHILDREN]]
    inspector.show_node(attrs, collapsed.graph, children)

    own = sum(p.numel() for p in model.layer2[0].parameters())
    assert own == 230_144
    assert inspector.field_text("params") == formatting.count(own)
    assert inspector.field_text("params") == formatting.count(sum(c[g.PARAMS] for c in children))
    assert inspector.field_text("macs") == formatting.count(sum(c[g.MACS] for c in children))
    assert inspector.field_text("type") == "BasicBlock"
    assert inspector.field_text("category") == "block"

    table = inspector.children_table
    assert table.isVisibleTo(inspector)
    assert table.rowCount() == len(children) == 9
    names = [table.item(row, 0).data(Qt.ItemDataRole.UserRole) for row in range(table.rowCount())]
    assert names == list(attrs[g.CHILDREN])
    shown = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert {"conv1", "bn1", "conv2", "downsample.0", "downsample.1"} <= set(shown)
    row = shown.index("downsample.0")
    child = graph.nodes["layer2_0_downsample_0"]
    assert [table.item(row, column).text() for column in range(1, 5)] == [
        "Conv2d", formatting.shape(child[g.OUT_SHAPE][1:]),
        formatting.metric(child[g.PARAMS]), formatting.metric(child[g.MACS])]
    assert table.item(row, 3).toolTip() == formatting.count(8192)  # 128 × 64 × 1 × 1

    inspector.show_node(graph.nodes["conv1"], graph.graph)  # a single operation again
    assert not table.isVisibleTo(inspector)


def test_first_layer_weights(inspector, resnet):
    model, graph = resnet
    inspector.show_node(graph.nodes["conv1"], graph.graph)
    data = kernels.layer_weights(model, "conv1")
    assert not inspector.has_weights()
    inspector.show_weights(data)
    assert inspector.has_weights()
    assert inspector.kernel_view.isVisibleTo(inspector)
    assert inspector.histogram.isVisibleTo(inspector)
    assert inspector.field_text("kernels").startswith("64 filters, 7×7, in colour")

    # 64 colour kernels in an 8 × 8 grid, each drawn pixel for weight from the kernel images.
    image = inspector.kernel_mosaic
    assert image.ndim == 3 and image.shape[2] == 3 and image.shape[1] <= MOSAIC_WIDTH
    scale = (MOSAIC_WIDTH - 2 * 7) // 8 // 7
    step = 7 * scale + 2
    assert image.shape[:2] == (8 * step - 2, 8 * step - 2)
    images = data["kernels"]
    for index in (0, 9, 63):
        y, x = divmod(index, 8)
        tile = image[y * step:y * step + 7 * scale:scale, x * step:x * step + 7 * scale:scale]
        np.testing.assert_array_equal(tile, np.rint(images[index] * 255).astype(np.uint8))
    pixmap = inspector.kernel_view.pixmap()
    assert (pixmap.width(), pixmap.height()) == (image.shape[1], image.shape[0])

    values = model.conv1.weight.detach().numpy().astype(np.float64)
    counts, edges = np.histogram(values, bins=64)
    np.testing.assert_array_equal(inspector.histogram_curve.xData, edges)
    np.testing.assert_array_equal(inspector.histogram_curve.yData, counts)
    assert inspector.field_text("weight_shape") == "64×3×7×7"
    assert inspector.field_text("weight_min") == formatting.metric(values.min())
    assert inspector.field_text("weight_max") == formatting.metric(values.max())
    assert inspector.field_text("weight_mean") == formatting.metric(data["statistics"]["mean"])
    assert inspector.field_text("weight_std") == formatting.metric(data["statistics"]["std"])
    assert inspector.field_text("weight_zeros") == "0.0%"

    inspector.show_node(graph.nodes["layer1_0_relu"], graph.graph)  # another selection
    assert not inspector.has_weights() and not inspector.histogram.isVisibleTo(inspector)
    assert inspector.kernel_mosaic is None


def test_deeper_and_kernel_free_weights(inspector, resnet):
    model, graph = resnet
    data = kernels.layer_weights(model, "layer4.1.conv2")
    inspector.show_weights(data)
    assert inspector.field_text("kernels") == \
        "first 64 of 512 filters, 3×3; mean over 512 input channels, red positive, blue negative"
    assert inspector.kernel_mosaic.shape[2] == 3  # the diverging view drawn in colour

    inspector.show_weights(kernels.layer_weights(model, "fc"))  # a histogram, no kernels
    assert inspector.histogram.isVisibleTo(inspector)
    assert not inspector.kernel_view.isVisibleTo(inspector)
    assert inspector.kernel_mosaic is None and inspector.field_text("kernels") == ""
    assert inspector.field_text("weight_shape") == "1000×512"

    inspector.show_weights(None)
    assert not inspector.has_weights() and not inspector.histogram.isVisibleTo(inspector)


def test_clear_resets(inspector, resnet):
    model, graph = resnet
    collapsed = analysis.collapse(graph, depth=2)
    attrs = collapsed.nodes["layer2.0"]
    inspector.show_node(attrs, graph.graph, [graph.nodes[n] for n in attrs[g.CHILDREN]])
    inspector.show_weights(kernels.layer_weights(model, "conv1"))
    inspector.clear()
    assert inspector.hint.isVisibleTo(inspector) and inspector.hint.text() == HINT
    assert inspector.field_text("name") == "" and inspector.field_text("params") == ""
    assert inspector.children_table.rowCount() == 0
    assert not inspector.children_table.isVisibleTo(inspector)
    assert not inspector.has_weights() and not inspector.histogram.isVisibleTo(inspector)
    assert inspector.kernel_mosaic is None


def test_renders(inspector, resnet, tmp_path):
    model, graph = resnet
    inspector.show_node(graph.nodes["conv1"], graph.graph)
    inspector.show_weights(kernels.layer_weights(model, "conv1"))
    inspector.show()
    path = tmp_path / "inspector.png"
    assert inspector.grab().save(str(path)) and path.stat().st_size > 0


def test_inspector_imports_no_torch():
    code = ("import sys, cnnviz.ui.inspector; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_folded_stack_lists_its_blocks_and_sums_their_numbers(inspector, resnet):
    from cnnviz import folding

    model, graph = resnet
    folded = folding.fold(graph, graph, folding.find_repeats(graph))
    stack = next(attrs for _, attrs in folded.nodes(data=True) if attrs.get(g.REPEAT))
    members = list(stack[g.MEMBERS])
    params = sum(a[g.PARAMS] for a in graph.nodes.values()
                 if any(path in members for path, _ in a[g.HIERARCHY]))
    inspector.show_node(stack, graph.graph, [graph.nodes[c] for c in stack[g.CHILDREN]])
    assert inspector.members.isVisibleTo(inspector)
    assert inspector.members.text().splitlines()[1:] == members
    assert inspector.field_text("params") == formatting.count(params)
    inspector.show_node(graph.nodes["conv1"], graph.graph)
    assert not inspector.members.isVisibleTo(inspector)
