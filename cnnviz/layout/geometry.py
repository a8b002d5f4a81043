"""What a layout is: boxes, edge polylines and cluster boxes in scene units (y down), the
spacing every phase shares, and box sizes estimated from text.

Every phase works top to bottom: ranks are rows, and an item's *width* is its extent across
ranks. A left-to-right layout is made top to bottom with each box's width and height swapped,
its cluster labels given room at the side instead of on top (see :class:`Spacing`), and then
:func:`transposed`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_NODE_SIZE = (140.0, 36.0)
SHAPE_LABEL = (72.0, 12.0)  # room for a tensor's shape label beside its edge's start
RANK_GAP = 30.0  # vertical space between rank rows (before cluster padding)
RANK_GAP_LR = SHAPE_LABEL[0] + 8.0  # horizontal space between rank columns left to right
NODE_GAP = 24.0  # horizontal space between two nodes
EDGE_GAP = 14.0  # horizontal space next to an edge's dummy point
CLUSTER_GAP = 12.0  # space outside a cluster box
CLUSTER_PAD = 10.0  # space inside a cluster box
CLUSTER_LABEL_HEIGHT = 16.0  # room for the label at the top of a cluster box
MARGIN = 20.0  # around the whole drawing

# node_size's text estimate (no font metrics outside Qt).
CHAR_WIDTH = 7.0
LINE_HEIGHT = 16.0
TEXT_PADDING = (24.0, 12.0)
MIN_NODE_WIDTH = 60.0


@dataclass(frozen=True)
class NodeBox:
    """A node's box; ``x``, ``y`` are its centre, y grows downward."""

    name: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class EdgePath:
    """An edge as a polyline from the source's bottom border to the target's top border (left
    to right: from its right border to the left border)."""

    source: str
    target: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ClusterBox:
    """The box around an expanded block; ``x``, ``y`` are its centre, ``depth`` 0 is outermost."""

    path: str
    label: str
    x: float
    y: float
    width: float
    height: float
    depth: int


TOP_TO_BOTTOM, LEFT_TO_RIGHT = "tb", "lr"
ORIENTATIONS = (TOP_TO_BOTTOM, LEFT_TO_RIGHT)


@dataclass(frozen=True)
class Spacing:
    """Room that depends on the orientation, in the top-to-bottom frame of the phases.

    ``rank_gap`` separates rank rows. A cluster's label gets ``label_above`` above its first
    row (top to bottom) or ``label_before`` left of its contents, which the transposition
    turns into room at its top (left to right).
    """

    rank_gap: float
    label_above: float
    label_before: float


SPACINGS = {TOP_TO_BOTTOM: Spacing(RANK_GAP, CLUSTER_LABEL_HEIGHT, 0.0),
            LEFT_TO_RIGHT: Spacing(RANK_GAP_LR, 0.0, CLUSTER_LABEL_HEIGHT)}


@dataclass(frozen=True)
class Layout:
    """Positions of every node, edge and cluster box, and the size of the drawing;
    ``orientation`` is the direction edges run: ``tb`` (down) or ``lr`` (right).

    Room for labels: a cluster's label fits in the CLUSTER_LABEL_HEIGHT at the top of its box,
    above its contents, in both orientations. A tensor's shape label of up to SHAPE_LABEL
    (width, height) fits in the gap after its edge's source, clear of every box: top to bottom,
    with its top left corner 4 right of and 1 below the edge's first point (where boxes on a
    rank are equally tall, as the app's are); left to right, with its bottom left corner 4
    right of and 1 above that point (the rank columns are RANK_GAP_LR apart, and an edge starts
    at least 8 below its source's top).
    """

    nodes: dict[str, NodeBox]
    edges: list[EdgePath]
    clusters: list[ClusterBox]
    width: float
    height: float
    orientation: str = TOP_TO_BOTTOM


def node_size(label_lines: list[str]) -> tuple[float, float]:
    """Estimated (width, height) of a box showing these text lines, without font metrics."""
    longest = max((len(line) for line in label_lines), default=0)
    width = max(MIN_NODE_WIDTH, longest * CHAR_WIDTH + TEXT_PADDING[0])
    height = max(1, len(label_lines)) * LINE_HEIGHT + TEXT_PADDING[1]
    return width, height


def flush_left(x: list[float], half_width: list[float], frames: list[ClusterBox]
               ) -> tuple[list[float], list[ClusterBox], float]:
    """Centres of items (nodes and dummy points) and cluster boxes shifted so that the leftmost
    border is at MARGIN, and the width of the drawing with MARGIN on the right too.

    Edges are drawn between their ends and dummy points, never further out. Rows already start
    at MARGIN (see ``coordinates.rank_rows``)."""
    left = min(min(c - h for c, h in zip(x, half_width)),
               min((f.x - f.width / 2 for f in frames), default=math.inf))
    right = max(max(c + h for c, h in zip(x, half_width)),
                max((f.x + f.width / 2 for f in frames), default=-math.inf))
    dx = MARGIN - left
    frames = [ClusterBox(f.path, f.label, f.x + dx, f.y, f.width, f.height, f.depth)
              for f in frames]
    return [c + dx for c in x], frames, right + dx + MARGIN


def transposed(layout: Layout) -> Layout:
    """The layout mirrored in its diagonal, x for y: a top-to-bottom layout made of swapped
    boxes becomes the left-to-right one."""
    nodes = {name: NodeBox(name, b.y, b.x, b.height, b.width) for name, b in layout.nodes.items()}
    edges = [EdgePath(e.source, e.target, tuple((y, x) for x, y in e.points))
             for e in layout.edges]
    boxes = [ClusterBox(b.path, b.label, b.y, b.x, b.height, b.width, b.depth)
             for b in layout.clusters]
    return Layout(nodes, edges, boxes, layout.height, layout.width, LEFT_TO_RIGHT)
