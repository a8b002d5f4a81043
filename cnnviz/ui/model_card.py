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

    def show_model(self, spec: ModelSpec, totals: dict, weights: str, origin: str) -> None:
        """Fill the card; ``totals`` is the traced graph's ``graph.graph``, ``origin`` where
        the model comes from (a user's file)."""
        self.setHtml(card_html(spec, totals, weights, origin))


def card_html(spec: ModelSpec, totals: dict, weights: str, origin: str) -> str:
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
    params = formatting.count(measured_params) if measured_params is not None else "…"
    macs = f"{measured_macs / 1e9:.3f}" if measured_macs is not None else "…"
    shape = formatting.shape(totals.get(g.INPUT_SHAPE))
    if reference is None:
        lines.append(f"<p>{escape(origin)}</p>")
        lines.append(_table(("measured",), [("Parameters", params), ("GMACs", macs),
                                            ("Input", shape)]))
    else:
        lines.append(_table(("torchvision", "measured"), [
            ("Parameters", formatting.count(reference.num_params), params),
            ("GMACs", f"{reference.gflops:.3f}", macs),
            ("Top-1 / top-5", f"{reference.acc1:.1f}% / {reference.acc5:.1f}%", "–"),
            ("Input", f"{spec.input_size}×{spec.input_size}", shape)]))
        if measured_params is not None and measured_params != reference.num_params:
            lines.append("<p style='color:#666'>The measured count covers the layers the "
                         "eval-mode forward runs (auxiliary heads excluded).</p>")
    preprocessing = spec.preprocessing
    if preprocessing is None:
        lines.append("<p style='color:#666'>This model does not take images: photos cannot "
                     "be run through it.</p>")
    else:
        assumed = "Assumed preprocessing" if reference is None else "Preprocessing"
        gray = ", as grayscale" if preprocessing.channels == 1 else ""
        lines.append(f"<p style='color:#666'>{assumed}: resize {preprocessing.resize_size} "
                     f"({preprocessing.interpolation}), centre crop {preprocessing.crop_size}"
                     f"{gray}, normalise mean {preprocessing.mean}, std {preprocessing.std}.</p>")
    lines.append(f"<p style='color:#666'>Weights: {escape(weights)}</p>")
    return "".join(lines)


def _table(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    header = "".join(f"<th align='right'>{column}</th>" for column in columns)
    body = "".join("<tr><td>" + "</td><td align='right'>".join(row) + "</td></tr>"
                   for row in rows)
    return (f"<table cellspacing='0' cellpadding='3' width='100%'><tr><th align='left'></th>"
            f"{header}</tr>{body}</table>")
