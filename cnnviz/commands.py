"""What the ``cnnviz`` commands that open a model do: ``summary``, ``export``, ``predict``,
``activations``, ``gradcam`` and ``bench``. They need torch, so :mod:`cnnviz.cli` imports this
module only when one of them runs."""
from __future__ import annotations

import json
import os
from collections.abc import Sequence

import networkx as nx
import numpy as np
from PIL import Image

from cnnviz import (analysis, classes, diagram, formatting, gradcam, images, inference, maps,
                    session, timing, zoo)
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.layout.geometry import TOP_TO_BOTTOM


def summary(request: session.ModelRequest, depth: int | None = None,
            as_json: bool = False) -> None:
    """Print the layer table (or JSON) of a model."""
    if depth is not None and depth < 1:
        raise CnnvizError(f"--depth must be 1 or more, not {depth}")
    loaded = request.load()
    graph = analysis.collapse(loaded.graph, depth=depth) if depth else loaded.graph
    if as_json:
        print(json.dumps(summary_json(graph)))
    else:
        _print_summary(loaded.spec, graph)


def export(request: session.ModelRequest, path: str, depth: int | None = None,
           scale: float = 2.0, orientation: str = TOP_TO_BOTTOM, fold: bool = False) -> None:
    """Write the laid-out diagram of a model as PNG, SVG or JSON: blocks collapsed at
    ``depth``, edges running ``orientation``, repeats folded with ``fold``."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".png", ".svg", ".json"):
        raise CnnvizError(f"cannot export to {path!r}: the extension must be .png, .svg or .json")
    if depth is not None and depth < 1:
        raise CnnvizError(f"--depth must be 1 or more, not {depth}")
    if scale <= 0:
        raise CnnvizError(f"--scale must be positive, not {scale}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CnnvizError(f"cannot export to {path}: folder {directory} does not exist")
    loaded = request.load()
    shown = session.make_diagram(loaded, session.DiagramView(depth, fold=fold,
                                                             orientation=orientation))
    if extension == ".json":
        content = {"model": loaded.spec.name, **diagram.layout_json(shown.graph, shown.layout)}
        with open(path, "w", encoding="utf-8") as file:
            json.dump(content, file)
    else:
        from cnnviz.ui.app import export_image

        export_image(shown.graph, shown.layout, path, scale)
    print(f"wrote {path}")


def predict(request: session.ModelRequest, image_path: str, topk: int = classes.TOP_K,
            as_json: bool = False) -> None:
    """Print the ``topk`` most probable classes of an image (or them as JSON)."""
    image = images.load_image(image_path)
    loaded = request.load()
    probabilities = inference.predict(loaded, _prepared(loaded, image))
    categories = zoo.categories(loaded.spec)
    if not 1 <= topk <= len(probabilities):
        raise CnnvizError(f"--topk must be between 1 and {len(probabilities)}, not {topk}")
    top = classes.top_predictions(probabilities, categories, topk)
    if as_json:
        print(json.dumps({"model": loaded.spec.name, "image": image_path,
                          "top": classes.as_json(top)}))
        return
    print(f"{loaded.spec.display_name} ({loaded.spec.name}) · {image_path} · "
          f"weights: {loaded.weights}")
    print(formatting.table(("class", "index", "probability"),
                           [(p.label, str(p.index), formatting.percent(p.prob)) for p in top],
                           right=(1, 2)))
    if loaded.weights == "random":
        print("Random weights give meaningless classes: use --weights pretrained.")


def save_activations(request: session.ModelRequest, image_path: str, layer: str,
                     path: str, as_maps: bool = False) -> None:
    """Save one node's output for an image as a float32 .npy array, batch dimension included,
    or with ``as_maps`` the (maps, H, W) stack the Feature maps panel shows."""
    _check_folder(path)
    image = images.load_image(image_path)
    loaded = request.load()
    array = inference.capture(loaded, _prepared(loaded, image), layer)
    if as_maps:
        array = maps.as_maps(array[0], loaded.graph.nodes[layer][g.LAYOUT]).maps
    save_npy(path, array)
    print(f"wrote {path}: {layer}{' maps' if as_maps else ''}, float32 "
          f"{formatting.shape(array.shape)}")


def save_grad_cam(request: session.ModelRequest, image_path: str, layer: str,
                  class_text: str | None, path: str) -> None:
    """Write Grad-CAM of a class (default: the top prediction) at a layer for an image: the
    map as a .npy array, or laid over the photo as the network sees it as a .png."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".npy", ".png"):
        raise CnnvizError(f"cannot write {path}: the extension must be .npy or .png")
    _check_folder(path)
    image = images.load_image(image_path)
    loaded = request.load()
    gradcam.spatial_reading(loaded.graph, layer)  # before any run
    prepared = _prepared(loaded, image)
    categories = zoo.categories(loaded.spec)
    index = _class_index(class_text, categories, loaded, prepared)
    heat = gradcam.grad_cam(loaded, prepared, layer, index)
    if extension == ".npy":
        save_npy(path, heat)
    else:
        overlay = maps.overlay(prepared.shown, heat, maps.OVERLAY_OPACITY)
        try:
            Image.fromarray(overlay).save(path)
        except OSError as error:
            raise CnnvizError(f"cannot write {path}: {error.strerror or error}") from error
    print(f"wrote {path}: Grad-CAM at {layer} for {classes.class_label(categories, index)} "
          f"({index})")


def _class_index(text: str | None, categories: list[str] | None,
                 loaded: session.LoadedModel, prepared: inference.Prepared) -> int:
    """The class ``--class`` names, an index or a label; the top prediction without it."""
    if text is None:
        return int(inference.predict(loaded, prepared).argmax())
    if text.strip().lstrip("-").isdigit():
        return int(text)  # checked against the model's classes when it runs
    if not categories:
        raise CnnvizError(f"{loaded.spec.display_name} has no class labels: give --class an "
                          f"index")
    return gradcam.class_index_by_name(categories, text)


def _check_folder(path: str) -> None:
    """A one-line error unless the folder ``path`` is to be written into exists."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CnnvizError(f"cannot write {path}: folder {directory} does not exist")


def save_npy(path: str, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` as .npy, whatever the name's extension; one-line errors."""
    try:
        with open(path, "wb") as file:  # np.save(path) would append .npy to other names
            np.save(file, array, allow_pickle=False)
    except OSError as error:
        raise CnnvizError(f"cannot write {path}: {error.strerror or error}") from error


BENCH_SLOWEST = 5


def bench(requests: Sequence[session.ModelRequest], settings: timing.BenchSettings,
          as_json: bool = False) -> None:
    """Time each model; print a table with its slowest layers, or one JSON list at the end."""
    settings.check()  # an absent device fails before any model is built
    results = []
    for request in requests:
        result = timing.benchmark(request.load(), settings)
        results.append(result)
        if not as_json:
            _print_bench(result)
    if as_json:
        print(json.dumps([result.to_json() for result in results]))


def _print_bench(result: timing.BenchResult) -> None:
    print(f"{result.model} · {result.settings.describe()} · {len(result.times_ms)} runs")
    print(f"  median {result.median_ms:.2f} ms (p10 {result.p10_ms:.2f}, p90 {result.p90_ms:.2f})"
          f" · {result.images_per_s:.1f} images/s")
    if not result.layers_ms:
        print("  per layer: not measured (TorchScript runs its graph itself, out of cnnviz's "
              "reach)")
        return
    print(f"  per layer: instrumented median {result.instrumented_median_ms:.2f} ms, "
          f"layers cover {formatting.percent(result.coverage)} of it")
    for name, ms in result.slowest(BENCH_SLOWEST):
        print(f"    {name:32s} {ms:8.3f} ms {formatting.percent(result.share(ms)):>7s}")


def _prepared(loaded: session.LoadedModel, image) -> inference.Prepared:
    """The image prepared for the model; a clear error for models that take no images."""
    if loaded.spec.preprocessing is None:
        shape = formatting.shape(loaded.graph.graph[g.INPUT_SHAPE])
        raise CnnvizError(f"{loaded.spec.display_name} takes a {shape} input, not an image")
    return inference.prepare(image, loaded.spec.preprocessing)


def summary_json(graph: nx.DiGraph) -> dict:
    """The graph as the JSON object of ``cnnviz summary --json``."""
    return {
        "model": graph.graph[g.MODEL],
        "tracer": graph.graph[g.TRACER],
        "tracer_note": graph.graph[g.TRACER_NOTE],
        "input_shape": list(graph.graph[g.INPUT_SHAPE]),
        "total_params": graph.graph[g.TOTAL_PARAMS],
        "total_trainable_params": graph.graph[g.TOTAL_TRAINABLE_PARAMS],
        "total_macs": graph.graph[g.TOTAL_MACS],
        "total_activation_bytes": graph.graph[g.TOTAL_ACTIVATION_BYTES],
        "nodes": [_node_json(graph.nodes[n]) for n in nx.topological_sort(graph)],
        "edges": [[source, target] for source, target in graph.edges],
        "skip_edges": [[s, t] for s, t, skip in graph.edges(data=g.SKIP) if skip],
    }


def _node_json(attrs: dict) -> dict:
    field = attrs[g.RF]
    return {
        "name": attrs[g.NAME], "qualname": attrs[g.QUALNAME], "op": attrs[g.OP],
        "module_type": attrs[g.MODULE_TYPE], "category": attrs[g.CATEGORY].value,
        "config": attrs[g.CONFIG], "in_shapes": [list(s) for s in attrs[g.IN_SHAPES] if s],
        "out_shape": list(attrs[g.OUT_SHAPE]) if attrs[g.OUT_SHAPE] else None,
        "params": attrs[g.PARAMS], "macs": attrs[g.MACS],
        "rf": field.largest_size if field else None,
        "rf_jump": max(field.jump) if field and field.jump else None,
        "rf_global": bool(field and field.is_global),
        "activation_bytes": attrs[g.ACTIVATION_BYTES],
        "layout": attrs[g.LAYOUT].name,
    }


def _print_summary(spec: zoo.ModelSpec, graph: nx.DiGraph) -> None:
    rows = []
    for name in nx.topological_sort(graph):
        attrs = graph.nodes[name]
        indent = "  " * len(attrs[g.HIERARCHY])
        field = attrs[g.RF]
        rows.append((indent + attrs[g.NAME], attrs[g.MODULE_TYPE],
                     formatting.shape(attrs[g.OUT_SHAPE]), formatting.count(attrs[g.PARAMS]),
                     formatting.count(attrs[g.MACS]), field.describe() if field else "–"))
    print(f"{spec.display_name} ({spec.name}) · input {formatting.shape(graph.graph[g.INPUT_SHAPE])}")
    print(formatting.table(("layer", "type", "output shape", "params", "MACs", "receptive field"),
                           rows, right=(3, 4)))
    totals = graph.graph
    reference = spec.reference
    print(f"Total params: {formatting.count(totals[g.TOTAL_PARAMS])} "
          f"(trainable {formatting.count(totals[g.TOTAL_TRAINABLE_PARAMS])})"
          + (f"; torchvision reference {formatting.count(reference.num_params)}"
             if reference else ""))
    print(f"Total MACs: {formatting.metric(totals[g.TOTAL_MACS])} "
          f"(FLOPs {formatting.metric(2 * totals[g.TOTAL_MACS])})"
          + (f"; torchvision reference {reference.gflops:.3f}G" if reference else ""))
    print(f"Activation memory (all outputs): "
          f"{formatting.size_in_bytes(totals[g.TOTAL_ACTIVATION_BYTES])}")
    note = f" ({totals[g.TRACER_NOTE]})" if totals[g.TRACER_NOTE] else ""
    print(f"Operations: {graph.number_of_nodes()} · tracer: {totals[g.TRACER]}{note}")

