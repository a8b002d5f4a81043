"""What a layout is: boxes, edge polylines and cluster boxes in scene units (y down), the
spacing every phase shares, and box sizes estimated from text."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NODE_SIZE = (140.0, 36.0)
RANK_GAP = 30.0  # vertical space between rank rows (before cluster padding)
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
    """An edge as a polyline from the source's bottom border to the target's top border."""

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
class Layout:
    """Positions of every node, edge and cluster box, and the size of the drawing;
    ``orientation`` is the direction edges run: ``tb`` (down) or ``lr`` (right)."""

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


def normalised(nodes: dict[str, NodeBox], edges: list[EdgePath],
               boxes: list[ClusterBox]) -> Layout:
    """The layout of these parts, shifted so that the drawing starts at (MARGIN, MARGIN).

    Needs at least one node; the size adds MARGIN on the right and at the bottom too.
    """
    lefts = [b.x - b.width / 2 for b in nodes.values()] + [b.x - b.width / 2 for b in boxes]
    rights = [b.x + b.width / 2 for b in nodes.values()] + [b.x + b.width / 2 for b in boxes]
    tops = [b.y - b.height / 2 for b in nodes.values()] + [b.y - b.height / 2 for b in boxes]
    bottoms = [b.y + b.height / 2 for b in nodes.values()] + [b.y + b.height / 2 for b in boxes]
    for path in edges:
        lefts.extend(p[0] for p in path.points)
        rights.extend(p[0] for p in path.points)
    dx, dy = MARGIN - min(lefts), MARGIN - min(tops)
    nodes = {name: NodeBox(name, b.x + dx, b.y + dy, b.width, b.height)
             for name, b in nodes.items()}
    edges = [EdgePath(e.source, e.target, tuple((px + dx, py + dy) for px, py in e.points))
             for e in edges]
    boxes = [ClusterBox(b.path, b.label, b.x + dx, b.y + dy, b.width, b.height, b.depth)
             for b in boxes]
    return Layout(nodes, edges, boxes, max(rights) + dx + MARGIN, max(bottoms) + dy + MARGIN)
