"""The comparison's rows and lessons, checked against the depths in the models' names and papers
and against torchvision's published metadata."""
from __future__ import annotations

from dataclasses import replace

import pytest
import torch
import torchvision
from torch import nn

from cnnviz import compare, session, zoo
from cnnviz.compare import CLASSICS, ModelRow
from cnnviz.errors import UnknownModelError
from cnnviz.trace import trace_model


def meta(name: str) -> dict:
    return torchvision.models.get_model_weights(name).DEFAULT.meta


def acc1(name: str) -> float:
    return meta(name)["_metrics"]["ImageNet-1K"]["acc@1"]


@pytest.fixture(scope="module")
def rows() -> dict[str, ModelRow]:
    return {row.name: row for row in compare.measure_rows(CLASSICS)}


# ------------------------------------------------------------------------------------ depth


@pytest.mark.parametrize("name,expected", [
    ("alexnet", 8), ("vgg11", 11), ("vgg13", 13), ("vgg16", 16), ("vgg19", 19),
    ("resnet18", 18), ("resnet34", 34), ("resnet50", 50), ("resnet101", 101),
    ("resnet152", 152), ("googlenet", 22), ("densenet121", 121), ("densenet169", 169),
    ("densenet201", 201),
    # MATLAB's model docs, which define depth the same way: "48 layers deep", "53 layers deep".
    ("inception_v3", 48), ("mobilenet_v2", 53),
])
def test_depth_is_the_one_in_the_name_or_paper(name: str, expected: int) -> None:
    assert compare.depth(session.ModelRequest.of(name).load().graph) == expected


class _Branches(nn.Module):
    """conv → (conv → conv) + 1×1 shortcut conv → linear: four weighted layers on the longest
    path; the shortcut, normalisation, activation and pooling do not count."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(8)
        self.branch = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                                    nn.Conv2d(8, 16, 3, padding=1))
        self.shortcut = nn.Conv2d(8, 16, 1)
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.stem(x)).relu()
        x = self.branch(x) + self.shortcut(x)
        return self.head(x.mean((2, 3)))


class _Attention(nn.Module):
    """A projection, attention with its own weights, and a weightless product of activations."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(8, 16)
        self.attention = nn.MultiheadAttention(16, 2, batch_first=True)
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        x = self.attention(x, x, x, need_weights=False)[0]
        x = torch.matmul(x.softmax(-1), x.transpose(1, 2)) @ x
        return self.head(x)


def test_a_shortcut_does_not_lengthen_the_path() -> None:
    graph = trace_model(_Branches().eval(), torch.zeros(1, 3, 8, 8), "branches")
    assert compare.depth(graph) == 4


def test_attention_counts_once_and_products_of_activations_not_at_all() -> None:
    graph = trace_model(_Attention().eval(), torch.zeros(1, 5, 8), "attention")
    assert compare.depth(graph) == 3


# -------------------------------------------------------------------------------------- rows


def test_the_classics_are_zoo_models_in_order_of_their_papers() -> None:
    names = {spec.name for spec in zoo.list_models()}
    assert set(CLASSICS) <= names
    years = [zoo.get_spec(name).year for name in CLASSICS]
    assert years == sorted(years)


@pytest.mark.parametrize("name", CLASSICS)
def test_rows_match_torchvision_metadata(rows, name: str) -> None:
    row, published = rows[name], meta(name)
    expected_params = published["num_params"]
    if name == "inception_v3":
        # torchvision counts Inception-v3's auxiliary classifier, which eval mode does not run.
        model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False)
        expected_params -= sum(p.numel() for n, p in model.named_parameters()
                               if n.startswith("AuxLogits."))
    assert row.params == expected_params
    macs = published["_ops"] * 1e9
    assert abs(row.macs - macs) <= max(0.005 * macs, 0.0005e9)
    assert row.top1 == acc1(name)
    spec = zoo.get_spec(name)
    assert (row.name, row.display_name, row.year) == (name, spec.display_name, spec.year)
    assert row.latency_ms is None


def test_model_row_carries_a_given_latency() -> None:
    loaded = session.ModelRequest.of("alexnet").load()
    row = compare.model_row(loaded, latency_ms=12.5)
    assert row.latency_ms == 12.5 and row.depth == compare.depth(loaded.graph)


# ----------------------------------------------------------------------------------- lessons


@pytest.mark.parametrize("ratio,words", [
    (21.67, "22×"), (2.264, "2.3×"), (1.0, "1.0×"), (0.744, "74% of"), (0.1, "10% of"),
    (1 / 20.88, "1/21 of"),
])
def test_proportion_in_words(ratio: float, words: str) -> None:
    assert compare.proportion(ratio, 1) == words


def test_lessons_state_torchvisions_ratios(rows) -> None:
    vgg, alexnet, googlenet = meta("vgg16"), meta("alexnet"), meta("googlenet")
    resnet, densenet = meta("resnet152"), meta("densenet121")
    params_vgg_alexnet = vgg["num_params"] / alexnet["num_params"]
    macs_vgg_alexnet = vgg["_ops"] / alexnet["_ops"]
    gap = acc1("vgg16") - acc1("googlenet")
    params_googlenet_vgg = googlenet["num_params"] / vgg["num_params"]
    # The issue's figures, from the papers' era: 2.3×, 22×, within two points, a twentieth.
    assert (round(params_vgg_alexnet, 1), round(macs_vgg_alexnet)) == (2.3, 22)
    assert 0 < gap < 2 and round(1 / params_googlenet_vgg) in (20, 21)
    found = compare.lessons(rows.values())
    assert found == [
        f"VGG-16 has {compare.proportion(params_vgg_alexnet, 1)} AlexNet's parameters and "
        f"{compare.proportion(macs_vgg_alexnet, 1)} its MACs, for a top-1 of "
        f"{acc1('vgg16'):.1f}% against {acc1('alexnet'):.1f}%.",
        f"GoogLeNet comes within {gap:.1f} points of VGG-16's top-1 with "
        f"{compare.proportion(params_googlenet_vgg, 1)} its parameters and "
        f"{compare.proportion(googlenet['_ops'] / vgg['_ops'], 1)} its MACs.",
        f"ResNet-152 is {compare.proportion(152, 16)} as deep as VGG-16 (152 weighted layers "
        f"against 16) with {compare.proportion(resnet['_ops'] / vgg['_ops'], 1)} its MACs and "
        f"{compare.proportion(resnet['num_params'] / vgg['num_params'], 1)} its parameters.",
        f"DenseNet-121 is {compare.proportion(121, 16)} as deep as VGG-16 (121 weighted layers "
        f"against 16) with {compare.proportion(densenet['_ops'] / vgg['_ops'], 1)} its MACs and "
        f"{compare.proportion(densenet['num_params'] / vgg['num_params'], 1)} its parameters.",
    ]
    assert "2.3× AlexNet's parameters and 22× its MACs" in found[0]
    assert "1/21 of its parameters" in found[1] and "9.5× as deep" in found[2]


def test_lessons_leave_out_what_the_rows_cannot_show(rows) -> None:
    without_alexnet = [row for name, row in rows.items() if name != "alexnet"]
    assert [s.split()[0] for s in compare.lessons(without_alexnet)] == \
        ["GoogLeNet", "ResNet-152", "DenseNet-121"]
    assert compare.lessons([rows["resnet50"], rows["densenet121"]]) == []
    deepest = compare.lessons([rows["vgg16"], rows["resnet50"], rows["resnet152"]])
    assert len(deepest) == 1 and deepest[0].startswith("ResNet-152 ")


def test_googlenet_ahead_of_vgg_is_said_so(rows) -> None:
    ahead = replace(rows["googlenet"], top1=rows["vgg16"].top1 + 0.5)
    assert "beats VGG-16's top-1 by 0.5 points" in compare.lessons([rows["vgg16"], ahead])[0]


# ----------------------------------------------------------------------------- measure_rows

CHEAP = ["alexnet", "squeezenet1_1", "resnet18"]


def test_measure_rows_measures_each_model_once_with_progress() -> None:
    measured: list[str] = []
    reports: list[tuple[float, str]] = []

    def measure(loaded: session.LoadedModel) -> float:
        measured.append(loaded.spec.name)
        return 10.0 * len(measured)

    found = compare.measure_rows(CHEAP, measure, lambda f, t: reports.append((f, t)))
    assert measured == CHEAP
    assert [(row.name, row.latency_ms) for row in found] == \
        [("alexnet", 10.0), ("squeezenet1_1", 20.0), ("resnet18", 30.0)]
    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(set(fractions)) and fractions[0] == 0 and fractions[-1] == 1.0
    assert "SqueezeNet 1.1" in reports[1][1]


def test_measure_rows_stops_when_cancelled_and_returns_what_it_has() -> None:
    measured: list[str] = []

    def measure(loaded: session.LoadedModel) -> float:
        measured.append(loaded.spec.name)
        return 1.0

    reports: list[float] = []
    found = compare.measure_rows(CHEAP, measure, lambda f, t: reports.append(f),
                                 cancelled=lambda: len(measured) >= 1)
    assert measured == ["alexnet"] and [row.name for row in found] == ["alexnet"]
    assert 1.0 not in reports


def test_measure_rows_without_measure_leaves_latency_empty() -> None:
    assert [row.latency_ms for row in compare.measure_rows(CHEAP[:2])] == [None, None]


def test_measure_rows_names_an_unknown_model() -> None:
    with pytest.raises(UnknownModelError, match="no_such_net"):
        compare.measure_rows(["no_such_net"])


def test_merged_keeps_measured_latency_and_appends_new_rows(rows) -> None:
    measured = replace(rows["alexnet"], latency_ms=3.0)
    current = [measured, rows["vgg16"]]
    vgg_measured = replace(rows["vgg16"], latency_ms=9.0)
    result = compare.merged(current, [rows["alexnet"], vgg_measured, rows["resnet50"]])
    assert [(row.name, row.latency_ms) for row in result] == \
        [("alexnet", 3.0), ("vgg16", 9.0), ("resnet50", None)]
