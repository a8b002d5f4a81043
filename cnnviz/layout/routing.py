"""Phase 6, routing: every edge as a polyline through its route's points.

Edges leave the bottom border of their source and enter the top border of their target, at
ports spread along the border in the order of the items they lead to; they run vertically
through rows and curve (sampled cubic Béziers) in the gaps between rows, so no edge ever
passes through a node. Left to right, the final transposition turns these into the right and
left borders, rows into columns.
"""
from __future__ import annotations

from cnnviz.layout.coordinates import Rows
from cnnviz.layout.geometry import EdgePath, NodeBox
from cnnviz.layout.long_edges import LayeredGraph

PORT_MARGIN = 8.0  # keeps edge ends off the corners of a box
PORT_SPACING = 8.0  # between edge ends on one side of a box
CURVE_SAMPLES = 8  # points per curved stretch of an edge


def route_edges(graph: LayeredGraph, pos: list[int], x: list[float], rows: Rows,
                boxes: list[NodeBox]) -> list[EdgePath]:
    """The path of every edge, in edge order.

    Assumes: the ordered layered graph (``pos``: each item's index in its rank), every item's
    x, the rows, and each node's box (``boxes[v]`` for node v) placed in its rank's row.
    Leaves: each path from a port on the source's bottom border to one on the target's top
    border, y never decreasing, vertical wherever it passes a row, points on straight
    stretches dropped.
    """
    ports_out = [_ports(graph.down[v], x, pos, box) for v, box in enumerate(boxes)]
    ports_in = [_ports(graph.up[v], x, pos, box) for v, box in enumerate(boxes)]
    edges = []
    for route in graph.routes:
        source, target = boxes[route[0]], boxes[route[-1]]
        ends = (ports_out[route[0]][route[1]], ports_in[route[-1]][route[-2]])
        points = _edge_points(graph.rank, route, ends, x, source, target, rows)
        edges.append(EdgePath(source.name, target.name, points))
    return edges


def _ports(neighbours: dict[int, int], x: list[float], pos: list[int],
           box: NodeBox) -> dict[int, float]:
    """x where the edges to each neighbour leave (or enter) a node's border."""
    low = box.x - box.width / 2 + min(PORT_MARGIN, box.width / 4)
    high = box.x + box.width / 2 - min(PORT_MARGIN, box.width / 4)
    if len(neighbours) == 1:
        only = next(iter(neighbours))
        return {only: min(max(x[only], low), high)}
    ordered = sorted(neighbours, key=lambda n: (x[n], pos[n]))
    ports = [min(max(x[n], low), high) for n in ordered]
    spacing = min(PORT_SPACING, (high - low) / max(1, len(ports) - 1))
    for i in range(1, len(ports)):
        ports[i] = max(ports[i], ports[i - 1] + spacing)
    for i in range(len(ports) - 1, -1, -1):
        ports[i] = min(ports[i], high if i == len(ports) - 1 else ports[i + 1] - spacing)
    return dict(zip(ordered, ports))


def _edge_points(rank: list[int], route: list[int], ends: tuple[float, float], x: list[float],
                 source: NodeBox, target: NodeBox, rows: Rows) -> tuple[tuple[float, float], ...]:
    """The polyline of one edge: vertical through rows, S-curves between them."""
    start_x, end_x = ends
    points = [(start_x, source.y + source.height / 2)]
    here, bottom = start_x, rows.bottom[rank[route[0]]]
    for item in route[1:-1]:
        if x[item] != here:  # bend between the rows; else the vertical run goes on
            points.append((here, bottom))
            points.extend(_s_curve((here, bottom), (x[item], rows.top[rank[item]])))
        here, bottom = x[item], rows.bottom[rank[item]]
    if end_x != here:
        points.append((here, bottom))
        points.extend(_s_curve((here, bottom), (end_x, rows.top[rank[route[-1]]])))
    points.append((end_x, target.y - target.height / 2))
    return _simplified(points) if len(points) > 2 else tuple(points)


def _s_curve(start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
    """Points after ``start`` on a cubic Bézier with vertical tangents at both ends."""
    (x0, y0), (x1, y1) = start, end
    if abs(x1 - x0) < 1e-6:
        return [end]
    points = []
    for k in range(1, CURVE_SAMPLES + 1):
        t = k / CURVE_SAMPLES
        points.append((x0 + (x1 - x0) * (3 * t * t - 2 * t ** 3),
                       y0 + (y1 - y0) * (1.5 * t - 1.5 * t * t + t ** 3)))
    return points


def _simplified(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Drop repeated points and points in the middle of straight stretches."""
    kept: list[tuple[float, float]] = []
    for point in points:
        if kept and abs(point[0] - kept[-1][0]) < 1e-9 and abs(point[1] - kept[-1][1]) < 1e-9:
            continue
        if len(kept) >= 2:
            (ax, ay), (bx, by) = kept[-2], kept[-1]
            cross = (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax)
            if abs(cross) < 1e-9 and (bx - ax) * (point[0] - bx) + (by - ay) * (point[1] - by) >= 0:
                kept[-1] = point
                continue
        kept.append(point)
    if len(kept) == 1:
        kept.append(kept[0])
    return tuple(kept)

