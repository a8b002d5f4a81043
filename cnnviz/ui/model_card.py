"""The model card: the paper, its ILSVRC result, the key ideas, and torchvision's reference
numbers beside the ones cnnviz measured on the traced graph."""
from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser, QWidget

from cnnviz import formatting
from cnnviz import graph as g
from cnnviz.zoo import ModelSpec


class ModelCard(QTextBrowser):
    """Shows a :class:`ModelSpec` and the measured totals of its graph."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setPlaceholderText("Pick a model")

    def show_model(self, spec: ModelSpec, totals: dict, weights: str) -> None:
        """Fill the card; ``totals`` is the traced graph's ``graph.graph``."""
        self.setHtml(card_html(spec, totals, weights))


def card_html(spec: ModelSpec, totals: dict, weights: str) -> str:
    """The card as HTML."""
    reference = spec.reference
    heading = f"<h2 style='margin-bottom:2px'>{escape(spec.display_name)}</h2>"
    subtitle = escape(" · ".join(str(p) for p in (spec.family, spec.year) if p))
    lines = [heading, f"<div style='color:#666'>{subtitle}</div>"]
    if spec.paper:
        lines.append(f"<p><i>{escape(spec.paper)}</i></p>")
    for label, text in (("ILSVRC", spec.ilsvrc), ("Distinction", spec.distinction)):
        if text:
            lines.append(f"<p><b>{label}:</b> {escape(text)}</p>")
    if spec.key_ideas:
        ideas = "".join(f"<li>{escape(idea)}</li>" for idea in spec.key_ideas)
        lines.append(f"<p><b>Key ideas</b></p><ul style='margin-left:-20px'>{ideas}</ul>")
    measured_params = totals.get(g.TOTAL_PARAMS)
    measured_macs = totals.get(g.TOTAL_MACS)
    rows = [
        ("Parameters", formatting.count(reference.num_params),
         formatting.count(measured_params) if measured_params is not None else "…"),
        ("GMACs", f"{reference.gflops:.3f}",
         f"{measured_macs / 1e9:.3f}" if measured_macs is not None else "…"),
        ("Top-1 / top-5", f"{reference.acc1:.1f}% / {reference.acc5:.1f}%", "–"),
        ("Input", f"{spec.input_size}×{spec.input_size}",
         formatting.shape(totals.get(g.INPUT_SHAPE))),
    ]
    table = "".join(f"<tr><td>{a}</td><td align='right'>{b}</td><td align='right'>{c}</td></tr>"
                    for a, b, c in rows)
    lines.append("<table cellspacing='0' cellpadding='3' width='100%'>"
                 "<tr><th align='left'></th><th align='right'>torchvision</th>"
                 f"<th align='right'>measured</th></tr>{table}</table>")
    if measured_params is not None and measured_params != reference.num_params:
        lines.append("<p style='color:#666'>The measured count covers the layers the eval-mode "
                     "forward runs (auxiliary heads excluded).</p>")
    preprocessing = spec.preprocessing
    lines.append(f"<p style='color:#666'>Preprocessing: resize {preprocessing.resize_size} "
                 f"({preprocessing.interpolation}), centre crop {preprocessing.crop_size}, "
                 f"normalise mean {preprocessing.mean}, std {preprocessing.std}.<br>"
                 f"Weights: {escape(weights)}</p>")
    return "".join(lines)
