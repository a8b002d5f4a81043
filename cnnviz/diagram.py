"""What the diagram shows, Qt-free: node titles with their key configuration, edge shape
labels, tooltips, box sizes, the laid-out diagram and its JSON form, which nodes a search
finds and which operations a box stands for. The Qt view draws exactly this, and the CLI's
export uses it without a window."""
from __future__ import annotations

import networkx as nx

from cnnviz import formatting
from cnnviz import graph as g
from cnnviz.graph import Category
from cnnviz.layout import Layout, layout_graph, node_size
from cnnviz.layout.geometry import TOP_TO_BOTTOM

_SHORT_TYPES = {
    "Conv1d": "Conv1d", "Conv2d": "Conv", "Conv3d": "Conv3d", "ConvTranspose2d": "ConvT",
    "BatchNorm2d": "BatchNorm", "BatchNorm1d": "BatchNorm1d", "LayerNorm": "LayerNorm",
    "MaxPool2d": "MaxPool", "AvgPool2d": "AvgPool", "AdaptiveAvgPool2d": "AdaptiveAvgPool",
    "AdaptiveMaxPool2d": "AdaptiveMaxPool", "Linear": "Linear", "Dropout": "Dropout",
    "LocalResponseNorm": "LRN", "MultiheadAttention": "Attention",
    "add": "⊕ add", "mul": "⊗ mul", "cat": "concat", "concat": "concat",
    "adaptive_avg_pool2d": "AdaptiveAvgPool", "avg_pool2d": "AvgPool", "max_pool2d": "MaxPool",
}


def node_title(attrs: dict) -> str:
    """The node's type and key configuration: ``Conv 3×3 /2 · 128``, ``concat ×4``."""
    config, category = attrs[g.CONFIG], attrs[g.CATEGORY]
    module_type = attrs[g.MODULE_TYPE]
    kind = _SHORT_TYPES.get(module_type, module_type)
    if category == Category.INPUT:
        return "input"
    if category == Category.OUTPUT:
        return "output"
    if category == Category.BLOCK:
        return module_type
    parts = [kind]
    kernel = config.get("kernel_size")
    if kernel is not None and category in (Category.CONV, Category.POOL):
        axes = len(attrs[g.OUT_SHAPE] or ()) - 2
        parts[0] += " " + _window(kernel, axes)
        stride = config.get("stride") or kernel
        if _largest(stride) > 1:
            parts[0] += f" /{_largest(stride) if len(set(_as_tuple(stride))) == 1 else _window(stride, axes)}"
    if category == Category.CONV and config.get("groups", 1) > 1:
        groups = config["groups"]
        parts.append("depthwise" if groups == config.get("in_channels") else f"g{groups}")
    if category == Category.CONV and "out_channels" in config:
        parts.append(str(config["out_channels"]))
    elif category == Category.LINEAR and "out_features" in config:
        parts.append(str(config["out_features"]))
    elif category == Category.CONCAT:
        parts[0] += f" ×{len(attrs[g.IN_SHAPES])}"
    return " · ".join(parts)


def node_subtitle(attrs: dict) -> str:
    """The second line: the module path, or a block's summed numbers."""
    if attrs[g.CATEGORY] == Category.BLOCK:
        return (f"{attrs[g.QUALNAME]} · {formatting.metric(attrs[g.PARAMS], 'params')} · "
                f"{formatting.metric(attrs[g.MACS], 'MACs')}")
    if attrs[g.CATEGORY] in (Category.INPUT, Category.OUTPUT):
        return formatting.shape(attrs[g.OUT_SHAPE])
    return attrs[g.QUALNAME]


def node_lines(attrs: dict) -> list[str]:
    """The text of a node's box, line by line."""
    return [node_title(attrs), node_subtitle(attrs)]


def edge_label(shape: tuple[int, ...] | None) -> str:
    """The shape of the tensor on an edge, batch dimension left out: ``128×28×28``."""
    return formatting.shape(shape[1:]) if shape and len(shape) > 1 else formatting.shape(shape)


def tooltip(attrs: dict) -> str:
    """Key numbers of a node, one per line."""
    field = attrs[g.RF]
    lines = [
        f"{attrs[g.NAME]} — {attrs[g.MODULE_TYPE]}",
        f"module: {attrs[g.QUALNAME]}",
        f"in: {', '.join(formatting.shape(s) for s in attrs[g.IN_SHAPES]) or '–'}",
        f"out: {formatting.shape(attrs[g.OUT_SHAPE])}",
        f"params: {formatting.count(attrs[g.PARAMS])} ({formatting.percent(attrs[g.PARAM_SHARE])})",
        f"MACs: {formatting.count(attrs[g.MACS])} ({formatting.percent(attrs[g.MAC_SHARE])})",
        f"receptive field: {field.describe() if field else '–'}",
    ]
    return "\n".join(lines)


def _window(value: int | tuple[int, ...], axes: int) -> str:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * max(axes, 1)
    return "×".join(str(v) for v in values)


def _as_tuple(value: int | tuple[int, ...]) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (int(value),)


def _largest(value: int | tuple[int, ...]) -> int:
    return max(_as_tuple(value))


def box_sizes(graph: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """The size of every node's box, from its text."""
    return {name: node_size(node_lines(attrs)) for name, attrs in graph.nodes(data=True)}


def lay_out(graph: nx.DiGraph, orientation: str = TOP_TO_BOTTOM) -> Layout:
    """The diagram's layout: boxes sized for their labels, blocks boxed, edges running
    ``orientation`` (``tb`` down, ``lr`` right)."""
    return layout_graph(graph, box_sizes(graph), orientation=orientation)


def layout_json(graph: nx.DiGraph, layout: Layout) -> dict:
    """The laid-out graph as ``cnnviz export … -o x.json`` writes it (scene units, y down); a
    folded stack's node carries ``repeat`` and ``members`` (module paths)."""
    return {
        "width": layout.width,
        "height": layout.height,
        "orientation": layout.orientation,
        "nodes": [{"name": b.name, "x": b.x, "y": b.y, "width": b.width, "height": b.height,
                   **_stack_json(graph.nodes[b.name])} for b in layout.nodes.values()],
        "edges": [{"from": e.source, "to": e.target, "points": [list(p) for p in e.points]}
                  for e in layout.edges],
        "clusters": [{"path": c.path, "label": c.label, "x": c.x, "y": c.y, "width": c.width,
                      "height": c.height, "depth": c.depth} for c in layout.clusters],
    }


def matching_nodes(graph: nx.DiGraph, layout: Layout, text: str) -> list[str]:
    """Nodes whose name, module path or type contains ``text`` (any case), top to bottom then
    left to right by their boxes in ``layout``; none for ""."""
    if not text:
        return []
    needle = text.casefold()
    found = [name for name, attrs in graph.nodes(data=True)
             if any(needle in attrs[key].casefold()
                    for key in (g.NAME, g.QUALNAME, g.MODULE_TYPE))]
    boxes = layout.nodes
    return sorted(found, key=lambda name: (boxes[name].y, boxes[name].x))


def members(graph: nx.DiGraph, name: str) -> set[str]:
    """The operations that a node of ``graph`` (a collapsed block: its children) or the box of
    the expanded block at module path ``name`` stands for."""
    if name in graph:
        return set(g.operations_of(name, graph.nodes[name]))
    return {member for node, attrs in graph.nodes(data=True)
            if any(path == name for path, _ in attrs[g.HIERARCHY])
            for member in g.operations_of(node, attrs)}


def nodes_standing_for(graph: nx.DiGraph, operations: set[str] | frozenset[str]) -> list[str]:
    """The nodes of ``graph`` that stand for any of ``operations``, in the graph's order."""
    return [name for name, attrs in graph.nodes(data=True)
            if not operations.isdisjoint(g.operations_of(name, attrs))]


def _stack_json(attrs: dict) -> dict:
    if not attrs.get(g.REPEAT):
        return {}
    return {"repeat": attrs[g.REPEAT], "members": list(attrs[g.MEMBERS])}


def heat_value_at(position: float, top: float) -> float:
    """The value :func:`heat_colors` draws at ``position`` (0..1) of its scale up to ``top``."""
    return top * position**2


def heat_colors(values: dict[str, float]) -> dict[str, tuple[int, int, int]]:
    """Colours for a per-node quantity (activation magnitude, time): pale yellow (low) to
    dark red (high), on a square-root scale so that small values stay distinguishable."""
    if not values:
        return {}
    top = max(values.values())
    colors = {}
    for name, value in values.items():
        t = (value / top) ** 0.5 if top > 0 else 0.0
        colors[name] = _interpolate(HEAT_STOPS, t)
    return colors


HEAT_STOPS = ((255, 255, 204), (254, 178, 76), (240, 59, 32), (128, 0, 38))


def _interpolate(stops: tuple[tuple[int, int, int], ...], t: float) -> tuple[int, int, int]:
    position = min(max(t, 0.0), 1.0) * (len(stops) - 1)
    index = min(int(position), len(stops) - 2)
    fraction = position - index
    low, high = stops[index], stops[index + 1]
    return tuple(round(a + (b - a) * fraction) for a, b in zip(low, high))  # type: ignore[return-value]
