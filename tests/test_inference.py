"""Recorded inference checked against torchvision's transforms, forward hooks and numpy."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from cnnviz import images, inference, probes, session, zoo
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.inference import Cancelled, UnknownLayerError, capture, concat_sources, prepare, run
from cnnviz.trace import trace_model


@pytest.fixture(scope="module")
def photo():
    return images.load_image(images.SAMPLES_DIR / "chelsea.png")


def recorded(loaded: session.LoadedModel, prepared: inference.Prepared,
             categories: list[str] | None = None) -> tuple[inference.RunResult, dict]:
    """A run, and every node's output: kept ones from its store, the others from capture(),
    which must recompute them from that store rather than run the network again."""
    result = run(loaded, prepared, categories)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inference, "forward_exposing", None)  # calling it would fail
        outputs = {node: result.activations.get(node) if node in result.activations
                   else capture(loaded, prepared, node)[0]
                   for node, shape in loaded.graph.nodes(data=g.OUT_SHAPE) if shape}
    return result, outputs


@pytest.fixture(scope="module")
def resnet(photo):
    torch.manual_seed(0)
    loaded = session.ModelRequest.of("resnet18").load()
    prepared = prepare(photo, loaded.spec.preprocessing)
    return loaded, prepared, *recorded(loaded, prepared, zoo.categories(zoo.get_spec("resnet18")))


@pytest.fixture(scope="module")
def densenet(photo):
    loaded = session.ModelRequest.of("densenet121").load()
    return loaded, *recorded(loaded, prepare(photo, loaded.spec.preprocessing))


@pytest.mark.parametrize("name", ["resnet50", "inception_v3", "efficientnet_b3"])
@pytest.mark.parametrize("sample", ["chelsea.png", "grace_hopper.jpg"])
def test_prepare_equals_torchvision_weight_transforms(name: str, sample: str) -> None:
    image = images.load_image(images.SAMPLES_DIR / sample)
    preprocessing = zoo.get_spec(name).preprocessing
    prepared = prepare(image, preprocessing)
    expected = torchvision.models.get_model_weights(name).DEFAULT.transforms()(image)
    crop = preprocessing.crop_size
    assert prepared.tensor.shape == (1, 3, crop, crop) and prepared.tensor.dtype == torch.float32
    assert torch.equal(prepared.tensor[0], expected)
    assert prepared.shown.shape == (crop, crop, 3) and prepared.shown.dtype == np.uint8
    mean, std = np.array(preprocessing.mean), np.array(preprocessing.std)
    normalised = (prepared.shown / 255.0 - mean) / std
    np.testing.assert_allclose(normalised.transpose(2, 0, 1), expected.numpy(), atol=1e-5)


def test_kept_and_recomputed_outputs_equal_forward_hooks(resnet) -> None:
    """Hooks copy each leaf module's output when it runs, before in-place ReLUs change it."""
    loaded, prepared, result, outputs = resnet
    calls: dict[str, list[torch.Tensor]] = {}
    handles = [module.register_forward_hook(
        lambda module, args, output, path=path: calls.setdefault(path, []).append(output.clone()))
        for path, module in loaded.model.named_modules() if not list(module.children())]
    with torch.inference_mode():
        loaded.model(prepared.tensor)
    for handle in handles:
        handle.remove()
    module_nodes = [n for n, op in loaded.graph.nodes(data=g.OP) if op == "call_module"]
    assert len(module_nodes) == sum(map(len, calls.values())) == 60
    for node in module_nodes:
        path = loaded.graph.nodes[node][g.TARGET]
        expected = calls[path].pop(0)[0].numpy()
        assert np.array_equal(outputs[node], expected), node
    kinds = {n: loaded.graph.nodes[n][g.CATEGORY] for n in module_nodes}
    assert {kinds[n] for n in module_nodes if n in result.activations} == {
        g.Category.CONV, g.Category.LINEAR}
    assert result.activations.get("layer1_0_bn1") is None  # recomputed by capture()


def test_residual_additions_are_the_sums_of_their_inputs(resnet) -> None:
    loaded, _, _, outputs = resnet
    additions = [n for n, c in loaded.graph.nodes(data=g.CATEGORY) if c == g.Category.ADD]
    assert len(additions) == 8
    for node in additions:
        first, second = loaded.graph.predecessors(node)
        np.testing.assert_array_equal(outputs[node], outputs[first] + outputs[second])


def test_densenet_concatenations_stack_their_inputs(densenet) -> None:
    loaded, _, outputs = densenet
    joins = [n for n, c in loaded.graph.nodes(data=g.CATEGORY) if c == g.Category.CONCAT]
    assert len(joins) == 62  # one per dense layer, one closing each block
    for node in joins[::7]:
        sources = concat_sources(loaded.graph, node)
        parts = [outputs[source] for source, _ in sources]
        assert [part.shape[0] for part in parts] == [channels for _, channels in sources]
        np.testing.assert_array_equal(outputs[node], np.concatenate(parts))


def test_concat_sources_name_the_inputs_and_their_channels(densenet) -> None:
    loaded, _, _ = densenet
    assert concat_sources(loaded.graph, "cat_1") == [
        ("features_pool0", 64), ("features_denseblock1_denselayer1_conv2", 32)]
    with pytest.raises(CnnvizError, match="features_conv0 is a Conv2d, not a concatenation"):
        concat_sources(loaded.graph, "features_conv0")


def test_stats_equal_numpy_on_the_returned_arrays(resnet) -> None:
    loaded, prepared, _, outputs = resnet
    stats = inference.statistics(loaded, prepared)
    assert sorted(stats) == sorted(outputs)
    relu = stats["layer1_0_relu"]
    assert 0.2 < relu.zero_fraction < 0.8 and relu.min == 0.0
    for node, array in outputs.items():
        assert stats[node].min == array.min() and stats[node].max == array.max(), node
        assert stats[node].mean == pytest.approx(
            array.mean(dtype=np.float64), abs=1e-6 * float(np.abs(array).mean()) + 1e-9), node
        assert stats[node].zero_fraction == np.count_nonzero(array == 0) / array.size, node


def test_statistics_can_be_cancelled(resnet) -> None:
    loaded, prepared, _, _ = resnet
    with pytest.raises(Cancelled):
        inference.statistics(loaded, prepared, cancelled=lambda: True)


class WritesInPlace(nn.Module):
    """Convolutions whose outputs later operations change in place, directly or by a view."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_a, self.conv_b, self.conv_c, self.conv_d = (
            nn.Conv2d(3 if i == 0 else 4, 4, 3, padding=1) for i in range(4))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.conv_a(x)
        a.relu_()  # a method
        b = self.conv_b(a)
        b.view(-1).add_(1)  # a view of b changed in place
        c = self.act(self.conv_c(b))  # an inplace=True module
        d = self.conv_d(c)
        return nn.functional.relu(d, inplace=True) + d.sum()  # a call with inplace=True


def test_outputs_changed_in_place_later_are_kept_as_they_were(photo) -> None:
    torch.manual_seed(0)
    model = WritesInPlace().eval()
    graph = trace_model(model, torch.zeros(1, 3, 32, 32), "writes_in_place")
    loaded = session.LoadedModel(session.ModelRequest.of("resnet18"), zoo.get_spec("resnet18"),
                                  "random", model, graph)
    prepared = inference.Prepared(torch.randn(1, 3, 32, 32), np.zeros((32, 32, 3), np.uint8))
    convolutions = ["conv_a", "conv_b", "conv_c", "conv_d"]
    outputs = {}
    handles = [getattr(model, name).register_forward_hook(
        lambda module, args, output, name=name: outputs.__setitem__(name, output.clone()))
        for name in convolutions]
    result = run(loaded, prepared, None)
    for handle in handles:
        handle.remove()
    assert probes.fx_plan(model, graph).kept_by_reference.isdisjoint(convolutions)
    for name in convolutions:
        np.testing.assert_array_equal(result.activations.get(name), outputs[name][0].numpy())


def test_outputs_nothing_changes_are_kept_without_copying(resnet) -> None:
    loaded, _, result, _ = resnet
    plan = probes.fx_plan(loaded.model, loaded.graph)
    kept = [n for n in loaded.graph if n in result.activations]
    assert len(kept) == 23 and set(kept) <= plan.kept_by_reference


def test_top5_are_the_most_probable_classes(resnet) -> None:
    loaded, prepared, result, _ = resnet
    with torch.inference_mode():
        expected = torch.topk(torch.softmax(loaded.model(prepared.tensor)[0], 0), 5)
    categories = zoo.categories(zoo.get_spec("resnet18"))
    assert [p.index for p in result.top] == expected.indices.tolist()
    assert [p.label for p in result.top] == [categories[i] for i in expected.indices]
    np.testing.assert_allclose([p.prob for p in result.top], expected.values, rtol=1e-5)
    assert result.probabilities.shape == (1000,) and result.probabilities.dtype == np.float32
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_timings_cover_every_node(resnet) -> None:
    loaded, _, result, _ = resnet
    assert set(result.timings_ms) == set(loaded.graph.nodes)
    work = {n: t for n, t in result.timings_ms.items() if n not in ("x", "output")}
    assert all(t > 0 for t in work.values())
    assert result.timings_ms["x"] == result.timings_ms["output"] == 0.0
    assert result.total_ms == pytest.approx(sum(work.values()))
    convolutions = sum(t for n, t in work.items() if "conv" in n)
    assert convolutions > 0.3 * result.total_ms  # the time goes where the MACs are


def test_capture_includes_the_batch_dimension(resnet) -> None:
    loaded, prepared, _, outputs = resnet
    same_pixels = inference.Prepared(prepared.tensor.clone(), prepared.shown)  # runs the network
    for node in ["layer2_0_conv1", "layer2_0_relu", "fc", "output", "x"]:
        array = capture(loaded, same_pixels, node)
        assert array.dtype == np.float32 and array.shape == loaded.graph.nodes[node][g.OUT_SHAPE]
        np.testing.assert_array_equal(array[0], outputs[node])


def test_unknown_layers_are_reported_with_close_names(resnet) -> None:
    loaded, prepared, result, _ = resnet
    with pytest.raises(UnknownLayerError, match=r"no layer 'layer1_0_conv' in resnet18: "
                                                r"did you mean layer1_0_conv2, layer1_0_conv1"):
        capture(loaded, prepared, "layer1_0_conv")
    with pytest.raises(UnknownLayerError, match="cnnviz summary resnet18"):
        capture(loaded, prepared, "zzz")
    assert result.activations.get("zzz") is None and "zzz" not in result.activations


def test_a_small_budget_evicts_and_capture_recomputes(resnet, monkeypatch) -> None:
    loaded, prepared, full, outputs = resnet
    budget = 4 * 2**20  # the input and conv1 (3.1 MiB) fit, little else
    result = run(loaded, prepared, None, budget_bytes=budget)
    store = result.activations
    assert result.peak_bytes == store.bytes_used <= budget < full.peak_bytes
    assert "conv1" in store and "layer4_1_conv2" in store.evicted
    assert store.get("layer4_1_conv2") is None and "layer4_1_conv2" not in store
    # Evicted, and computed from an evicted output: the network runs again.
    for node in ["layer4_1_conv2", "layer4_1_bn2"]:
        np.testing.assert_array_equal(capture(loaded, prepared, node)[0], outputs[node])
    monkeypatch.setattr(inference, "forward_exposing", None)
    np.testing.assert_array_equal(capture(loaded, prepared, "bn1")[0], outputs["bn1"])


def test_cancelling_stops_at_the_next_node(resnet) -> None:
    loaded, prepared, _, _ = resnet
    polls = []

    def cancelled() -> bool:
        polls.append(1)
        return len(polls) > 10

    with pytest.raises(Cancelled):
        run(loaded, prepared, None, cancelled=cancelled)
    assert len(polls) == 11


class Branching(nn.Module):
    """Data-dependent control flow: torch.fx cannot trace it, the recorder can."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.conv(x))
        if x.mean() > 0:
            x = x * 2
        x = torch.cat([x, x + 1], 1)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def test_recorder_traced_models_run_with_their_graph_names(photo) -> None:
    torch.manual_seed(0)
    model = Branching().eval()
    graph = trace_model(model, torch.zeros(1, 3, 224, 224), "branching")
    assert graph.graph[g.TRACER] == "recorder"
    loaded = session.LoadedModel(session.ModelRequest.of("resnet18"), zoo.get_spec("resnet18"),
                                  "random", model, graph)
    prepared = prepare(photo, loaded.spec.preprocessing)
    result = run(loaded, prepared, None)
    assert set(result.timings_ms) == set(inference.statistics(loaded, prepared)) == set(graph.nodes)
    assert all(node in result.activations for node in graph)  # the recorder keeps everything
    conv = model.conv(prepared.tensor).detach()
    np.testing.assert_array_equal(result.activations.get("conv"), conv[0].numpy())
    np.testing.assert_array_equal(result.activations.get("relu"), conv.relu()[0].numpy())
    np.testing.assert_array_equal(capture(loaded, prepared, "cat"), np.concatenate(
        [result.activations.get("mul"), result.activations.get("add")])[None])
    assert result.top[0].label == f"class {result.top[0].index}"  # no categories given


def test_the_fx_plan_does_not_keep_models_alive() -> None:
    model = Branching()
    model.forward = nn.Sequential(model.conv, model.relu).forward  # fx-traceable now
    graph = trace_model(model, torch.zeros(1, 3, 8, 8))
    loaded = session.LoadedModel(session.ModelRequest.of("resnet18"), zoo.get_spec("resnet18"),
                                  "random", model, graph)
    run(loaded, inference.Prepared(torch.zeros(1, 3, 8, 8), np.zeros((8, 8, 3), np.uint8)), None)
    alive = weakref.ref(model)
    del model, loaded
    gc.collect()
    assert alive() is None
