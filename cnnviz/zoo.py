"""The model zoo: torchvision's ImageNet classifiers, their history, and where weights come from.

Every classification builder in ``torchvision.models`` has a :class:`ModelSpec`: the ImageNet
landmarks first (AlexNet, VGG, GoogLeNet, Inception-v3, ResNet, DenseNet), then the later
families. Reference numbers and preprocessing come from :mod:`cnnviz.zoo_numbers`, a copy of
torchvision's default weights' metadata that a test keeps equal to it, so that listing and
looking up models needs no torch; the facts about papers are curated here. Building models
imports torch (the worker thread's work, or a command's).

Weights come from one of three sources (:func:`build_model`):

- ``"random"``: torchvision's own initialisation; instant and offline.
- ``"pretrained"``: torchvision's default weights, read from the torch hub cache
  (:func:`pretrained_path`) or downloaded into it.
- a checkpoint file written with ``torch.save`` (:func:`cnnviz.checkpoints.load_checkpoint`).
"""
from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnnviz.errors import UnknownModelError, WeightsError
from cnnviz.zoo_numbers import DEFAULT_WEIGHTS, NORMALISATIONS

if TYPE_CHECKING:
    from torch import nn

DEFAULT_MODEL = "resnet18"



@dataclass(frozen=True)
class ReferenceNumbers:
    """torchvision's published numbers for a model's default ImageNet weights.

    ``gflops`` is torchvision's ``_ops``: despite the name it counts multiply-accumulates
    (GMACs) for one image at the weights' crop size. Accuracies are ImageNet-1K validation
    percentages for a single crop.
    """

    num_params: int
    gflops: float
    acc1: float
    acc5: float


@dataclass(frozen=True)
class Preprocessing:
    """How an image is prepared for the default weights: resize, centre crop, normalise."""

    resize_size: int
    crop_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    interpolation: str
    channels: int = 3  # 1: the image is converted to grayscale


@dataclass(frozen=True)
class ModelSpec:
    """One model of the zoo, or a user's model (family ``USER_FAMILY``, see :func:`user_spec`).

    ``year`` is the year the paper first appeared (arXiv or conference). ``ilsvrc`` is the
    ILSVRC result of the architecture's entry, None for families that did not compete;
    ``distinction`` is another honour such as a best-paper award. ``year`` and ``paper`` are
    None only for torchvision models newer than this zoo's table (family "Other") and for
    users' models. ``reference`` and ``preprocessing`` belong to ``pretrained_weights``,
    torchvision's default weights for the model; ``input_size`` is their crop size. A user's
    model has no reference numbers or weights, and no preprocessing unless it takes images.
    """

    name: str
    display_name: str
    family: str
    year: int | None
    paper: str | None
    ilsvrc: str | None
    distinction: str | None
    key_ideas: tuple[str, ...]
    input_size: int
    preprocessing: Preprocessing | None
    reference: ReferenceNumbers | None
    pretrained_weights: str | None


@dataclass(frozen=True)
class _Generation:
    """Curated facts shared by the builders whose names fully match ``pattern``."""

    family: str
    pattern: str
    display: Callable[[re.Match[str]], str]
    year: int | None
    paper: str | None
    key_ideas: tuple[str, ...]
    ilsvrc: str | None = None
    distinction: str | None = None
    by_size: bool = False  # order members by parameter count, not by name


_GENERATIONS: tuple[_Generation, ...] = (
    _Generation(
        "AlexNet", r"alexnet", lambda m: "AlexNet", 2012,
        "ImageNet Classification with Deep Convolutional Neural Networks",
        (
            "ReLU activations instead of tanh: several times faster training",
            "Dropout in the two large fully connected layers",
            "A large 11x11 stride-4 first convolution",
            "Overlapping max pooling (3x3 windows, stride 2)",
            "Local response normalisation in the paper (torchvision's version omits it)",
            "Trained split across two GPUs; torchvision builds the single-tower variant "
            "of 'One weird trick for parallelizing CNNs' (2014)",
            "Data augmentation: random crops, flips and PCA colour jitter",
        ),
        ilsvrc="ILSVRC 2012 winner, 15.3% top-5 error",
    ),
    _Generation(
        "VGG", r"vgg(\d+)", lambda m: f"VGG-{m[1]}", 2014,
        "Very Deep Convolutional Networks for Large-Scale Image Recognition",
        (
            "Stacks of 3x3 convolutions instead of large kernels: two see 5x5, three see 7x7, "
            "with fewer parameters and more non-linearities",
            "A uniform design: channels double (64 to 512) after each 2x2 max pool",
            "Depth matters: 11 to 19 weight layers",
            "Most parameters sit in the three fully connected layers",
        ),
        ilsvrc="ILSVRC 2014 runner-up in classification, 7.3% top-5 error",
    ),
    _Generation(
        "VGG", r"vgg(\d+)_bn", lambda m: f"VGG-{m[1]} (BN)", 2014,
        "Very Deep Convolutional Networks for Large-Scale Image Recognition",
        (
            "Stacks of 3x3 convolutions instead of large kernels: two see 5x5, three see 7x7, "
            "with fewer parameters and more non-linearities",
            "A uniform design: channels double (64 to 512) after each 2x2 max pool",
            "Batch normalisation after every convolution (torchvision's variant, "
            "not in the 2014 paper)",
            "Most parameters sit in the three fully connected layers",
        ),
        ilsvrc="ILSVRC 2014 runner-up in classification, 7.3% top-5 error",
    ),
    _Generation(
        "Inception", r"googlenet", lambda m: "GoogLeNet", 2014, "Going Deeper with Convolutions",
        (
            "Inception modules: parallel 1x1, 3x3, 5x5 convolutions and 3x3 max pooling, "
            "concatenated along channels",
            "1x1 convolutions reduce channels before the expensive 3x3 and 5x5 "
            "(network-in-network)",
            "22 layers deep with about 12x fewer parameters than AlexNet",
            "Global average pooling instead of large fully connected layers",
            "Auxiliary classifiers on intermediate layers during training only",
            "torchvision's version adds batch normalisation and, by a known bug, "
            "uses 3x3 where the paper's branch has 5x5",
        ),
        ilsvrc="ILSVRC 2014 winner, 6.67% top-5 error",
    ),
    _Generation(
        "Inception", r"inception_v3", lambda m: "Inception-v3", 2015,
        "Rethinking the Inception Architecture for Computer Vision",
        (
            "Factorised convolutions: a 5x5 becomes two 3x3, an nxn becomes 1xn then nx1 "
            "(the 1x7 and 7x1 pairs)",
            "Grid-size reduction with parallel stride-2 convolution and pooling branches",
            "Batch normalisation throughout, including the auxiliary classifier",
            "Label smoothing regularisation",
            "Larger 299x299 input",
        ),
    ),
    _Generation(
        "ResNet", r"resnet(\d+)", lambda m: f"ResNet-{m[1]}", 2015,
        "Deep Residual Learning for Image Recognition",
        (
            "Residual learning: a block learns F(x) and outputs F(x) + x",
            "Identity skip connections let networks of 152 layers train",
            "Bottleneck blocks (1x1 reduce, 3x3, 1x1 expand) in ResNet-50 and deeper; "
            "two 3x3 convolutions in ResNet-18/34",
            "1x1 stride-2 projection shortcuts where the shape changes",
            "Batch normalisation after every convolution, global average pooling, no dropout",
            "torchvision's ResNet-50/101/152 are 'v1.5': the stride is on the 3x3 convolution",
        ),
        ilsvrc="ILSVRC 2015 winner, 3.57% top-5 error",
        distinction="CVPR 2016 best paper",
    ),
    _Generation(
        "DenseNet", r"densenet(\d+)", lambda m: f"DenseNet-{m[1]}", 2016,
        "Densely Connected Convolutional Networks",
        (
            "Dense connectivity: each layer in a dense block receives the concatenation "
            "of all earlier feature maps in the block",
            "Growth rate: every layer adds only k new channels (32; 48 in DenseNet-161)",
            "1x1 bottlenecks and transition layers (1x1 convolution, 2x2 average pooling) "
            "that halve the channels keep the network narrow",
            "Feature reuse: high accuracy with few parameters",
        ),
        distinction="CVPR 2017 best paper",
    ),
    _Generation(
        "ResNeXt", r"resnext(\d+)_(\d+x\d+d)", lambda m: f"ResNeXt-{m[1]} {m[2]}", 2016,
        "Aggregated Residual Transformations for Deep Neural Networks",
        (
            "Cardinality: the number of parallel paths in a block, a dimension besides "
            "depth and width",
            "Split-transform-merge as grouped 3x3 convolutions (32x4d: 32 groups of 4 channels)",
            "ResNet's bottleneck blocks and skip connections, repeated with one template",
        ),
        ilsvrc="ILSVRC 2016 runner-up in classification, 3.03% top-5 error",
    ),
    _Generation(
        "Wide ResNet", r"wide_resnet(\d+)_(\d+)", lambda m: f"Wide ResNet-{m[1]}-{m[2]}", 2016,
        "Wide Residual Networks",
        (
            "Wider residual blocks instead of deeper networks",
            "The bottleneck's 3x3 convolution is twice as wide as in ResNet-50/101",
            "Fewer, wider layers use GPUs better for the same accuracy",
        ),
    ),
    _Generation(
        "SqueezeNet", r"squeezenet(\d+)_(\d+)", lambda m: f"SqueezeNet {m[1]}.{m[2]}", 2016,
        "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size",
        (
            "Fire modules: a 1x1 squeeze layer feeds parallel 1x1 and 3x3 expand layers, "
            "concatenated",
            "1x1 filters instead of 3x3 wherever possible",
            "Late downsampling keeps activation maps large",
            "No fully connected layers: a 1x1 convolution and global average pooling classify",
            "SqueezeNet 1.1 pools earlier: 2.4x less computation for the same accuracy",
        ),
    ),
    _Generation(
        "MobileNet", r"mobilenet_v2", lambda m: "MobileNet v2", 2018,
        "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
        (
            "Depthwise separable convolutions (from MobileNet v1)",
            "Inverted residual blocks: 1x1 expand, 3x3 depthwise, 1x1 project, "
            "with the skip between the narrow ends",
            "Linear bottlenecks: no activation after the projection",
            "ReLU6 activations",
        ),
    ),
    _Generation(
        "MobileNet", r"mobilenet_v3_(small|large)",
        lambda m: f"MobileNet v3 {m[1].capitalize()}", 2019, "Searching for MobileNetV3",
        (
            "Found by platform-aware neural architecture search, refined with NetAdapt",
            "Inverted residual blocks with squeeze-and-excitation",
            "Hard-swish activations",
            "A cheaper redesigned first and last stage",
        ),
        by_size=True,
    ),
    _Generation(
        "ShuffleNet", r"shufflenet_v2_x(\d+)_(\d+)",
        lambda m: f"ShuffleNet v2 x{m[1]}.{m[2]}", 2018,
        "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design",
        (
            "Channel split: half the channels bypass each block",
            "Channel shuffle mixes information between the branches",
            "Designed for measured speed rather than FLOPs: equal channel widths, "
            "few branches, few element-wise operations",
        ),
    ),
    _Generation(
        "MNASNet", r"mnasnet(\d+)_(\d+)", lambda m: f"MNASNet {m[1]}.{m[2]}", 2018,
        "MnasNet: Platform-Aware Neural Architecture Search for Mobile",
        (
            "Found by reinforcement-learning search rewarding accuracy and measured "
            "phone latency",
            "Inverted residual blocks with 3x3 and 5x5 depthwise kernels",
            "Different block types in different stages (factorised hierarchical search space)",
        ),
    ),
    _Generation(
        "EfficientNet", r"efficientnet_b(\d+)", lambda m: f"EfficientNet-B{m[1]}", 2019,
        "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
        (
            "Compound scaling: depth, width and input resolution grow together from B0 to B7",
            "The B0 baseline was found by neural architecture search",
            "MBConv blocks: inverted residuals with squeeze-and-excitation",
            "SiLU (swish) activations and stochastic depth",
        ),
    ),
    _Generation(
        "EfficientNet", r"efficientnet_v2_([sml])", lambda m: f"EfficientNetV2-{m[1].upper()}",
        2021, "EfficientNetV2: Smaller Models and Faster Training",
        (
            "Fused-MBConv: one 3x3 convolution replaces expansion and depthwise convolution "
            "in the early stages",
            "Training-aware neural architecture search and scaling",
            "Progressive learning: image size and regularisation grow during training",
        ),
        by_size=True,
    ),
    _Generation(
        "RegNet", r"regnet_x_(\d+)(?:_(\d+))?(mf|gf)",
        lambda m: f"RegNetX-{m[1]}{'.' + m[2] if m[2] else ''}{m[3].upper()}", 2020,
        "Designing Network Design Spaces",
        (
            "Design spaces instead of single networks: stage widths follow a quantised "
            "linear rule",
            "RegNetX: residual bottleneck blocks with grouped convolutions",
            "Named by compute: 400MF to 32GF",
        ),
        by_size=True,
    ),
    _Generation(
        "RegNet", r"regnet_y_(\d+)(?:_(\d+))?(mf|gf)",
        lambda m: f"RegNetY-{m[1]}{'.' + m[2] if m[2] else ''}{m[3].upper()}", 2020,
        "Designing Network Design Spaces",
        (
            "Design spaces instead of single networks: stage widths follow a quantised "
            "linear rule",
            "RegNetY: RegNetX blocks plus squeeze-and-excitation",
            "Named by compute: 400MF to 128GF",
        ),
        by_size=True,
    ),
    _Generation(
        "ConvNeXt", r"convnext_(tiny|small|base|large)",
        lambda m: f"ConvNeXt-{m[1].capitalize()}", 2022, "A ConvNet for the 2020s",
        (
            "A ResNet modernised step by step towards a vision transformer",
            "Patchify stem: a 4x4 stride-4 convolution",
            "Large 7x7 depthwise convolutions in inverted bottlenecks",
            "LayerNorm, GELU, fewer activations and normalisations",
            "Separate downsampling layers between stages",
        ),
        by_size=True,
    ),
    _Generation(
        "ViT", r"vit_([bhl])_(\d+)", lambda m: f"ViT-{m[1].upper()}/{m[2]}", 2020,
        "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
        (
            "The image is cut into patches (16x16, 32x32 or 14x14), each linearly embedded "
            "by a strided convolution",
            "A standard transformer encoder: multi-head self-attention and MLP blocks "
            "with residuals",
            "A class token and learned position embeddings",
            "Little convolutional bias: needs large-scale pretraining",
        ),
        by_size=True,
    ),
    _Generation(
        "Swin", r"swin_([tsb])", lambda m: f"Swin-{m[1].upper()}", 2021,
        "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows",
        (
            "Self-attention within local windows: cost linear in image size",
            "Windows shift in alternate blocks to connect neighbouring windows",
            "Hierarchical feature maps through patch merging, like a CNN",
        ),
        distinction="ICCV 2021 best paper (Marr Prize)",
        by_size=True,
    ),
    _Generation(
        "Swin", r"swin_v2_([tsb])", lambda m: f"SwinV2-{m[1].upper()}", 2021,
        "Swin Transformer V2: Scaling Up Capacity and Resolution",
        (
            "Shifted-window attention as in Swin",
            "Residual post-normalisation and scaled cosine attention for stable training",
            "Log-spaced continuous position bias that transfers across window sizes",
        ),
        by_size=True,
    ),
    _Generation(
        "MaxViT", r"maxvit_([a-z])", lambda m: f"MaxViT-{m[1].upper()}", 2022,
        "MaxViT: Multi-Axis Vision Transformer",
        (
            "Multi-axis attention: local block attention then sparse, dilated grid attention",
            "Global interaction at linear cost",
            "An MBConv convolution block in every stage",
        ),
    ),
)
# Classifiers added to torchvision after this table was written.
_UNCURATED = _Generation("Other", r".*", lambda m: m[0], None, None, ())


def _natural_key(name: str) -> tuple[object, ...]:
    """``vgg11 < vgg11_bn < vgg13``, ``resnet18 < resnet101``: digits compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _make_spec(name: str, generation: _Generation) -> ModelSpec:
    facts = DEFAULT_WEIGHTS[name]
    mean, std = NORMALISATIONS[facts.normalisation]
    match = re.fullmatch(generation.pattern, name)
    assert match is not None
    return ModelSpec(
        name=name,
        display_name=generation.display(match),
        family=generation.family,
        year=generation.year,
        paper=generation.paper,
        ilsvrc=generation.ilsvrc,
        distinction=generation.distinction,
        key_ideas=generation.key_ideas,
        input_size=facts.crop_size,
        preprocessing=Preprocessing(
            resize_size=facts.resize_size,
            crop_size=facts.crop_size,
            mean=mean,
            std=std,
            interpolation=facts.interpolation,
        ),
        reference=ReferenceNumbers(
            num_params=facts.num_params,
            gflops=facts.gflops,
            acc1=facts.acc1,
            acc5=facts.acc5,
        ),
        pretrained_weights=facts.weights,
    )


@functools.cache
def _registry() -> dict[str, ModelSpec]:
    """All specs by builder name, in the zoo's order."""
    remaining = set(DEFAULT_WEIGHTS)
    specs: list[ModelSpec] = []
    for generation in (*_GENERATIONS, _UNCURATED):
        members = [
            _make_spec(name, generation)
            for name in sorted(remaining)
            if re.fullmatch(generation.pattern, name)
        ]
        remaining.difference_update(spec.name for spec in members)
        if generation.by_size:
            members.sort(key=lambda spec: spec.reference.num_params)
        else:
            members.sort(key=lambda spec: _natural_key(spec.name))
        specs.extend(members)
    return {spec.name: spec for spec in specs}


def _normalise(text: str) -> str:
    """Lower case without separators: ``ResNet-50``, ``resnet_50`` and ``resnet50`` agree."""
    return re.sub(r"[^a-z0-9.]", "", text.casefold())


@functools.cache
def _aliases() -> dict[str, tuple[str, ...]]:
    """Builder names for each lower-cased or normalised name and display name."""
    candidates: dict[str, list[str]] = {}
    for spec in _registry().values():
        forms = {spec.name, spec.display_name}
        keys = {form.casefold() for form in forms} | {_normalise(form) for form in forms}
        for key in keys:
            candidates.setdefault(key, []).append(spec.name)
    return {key: tuple(names) for key, names in candidates.items()}


def _suggestions(query: str, count: int = 3) -> list[str]:
    """The closest builder names to ``query``, best first, ties in zoo order."""
    target = _normalise(query)
    scored = []
    for index, spec in enumerate(_registry().values()):
        score = max(
            difflib.SequenceMatcher(None, target, _normalise(form)).ratio()
            for form in (spec.name, spec.display_name)
        )
        if score >= 0.6:
            scored.append((-score, index, spec.name))
    return [name for _, _, name in sorted(scored)[:count]]


def list_models() -> list[ModelSpec]:
    """Every model of the zoo: the ImageNet landmarks first, then the later families."""
    return list(_registry().values())


def get_spec(name: str) -> ModelSpec:
    """The spec for a builder name (``resnet50``), display name or alias (``ResNet-50``)."""
    registry = _registry()
    if name in registry:
        return registry[name]
    aliases = _aliases()
    matches = aliases.get(name.casefold()) or aliases.get(_normalise(name)) or ()
    if len(matches) == 1:
        return registry[matches[0]]
    if matches:
        raise UnknownModelError(
            f"ambiguous model name {name!r}: did you mean {', '.join(matches)}?"
        )
    suggestions = _suggestions(name)
    if suggestions:
        raise UnknownModelError(f"unknown model {name!r}: did you mean {', '.join(suggestions)}?")
    raise UnknownModelError(
        f"unknown model {name!r}: not one of the zoo's {len(registry)} torchvision classifiers"
    )


USER_FAMILY = "Your models"
_IMAGENET_MEAN, _IMAGENET_STD = NORMALISATIONS["imagenet"]


def user_spec(name: str, display_name: str, input_shape: tuple[int, ...]) -> ModelSpec:
    """The spec of a user's model: no paper, reference numbers or weights. A model taking
    square RGB or grayscale images (N, 3 or 1, S, S) gets photos prepared for it: resized and
    centre-cropped to S and normalised with ImageNet's statistics (RGB) or to [-1, 1]
    (grayscale), an assumption the model card states."""
    preprocessing = None
    if len(input_shape) == 4 and input_shape[1] in (1, 3) and input_shape[2] == input_shape[3]:
        gray = input_shape[1] == 1
        preprocessing = Preprocessing(
            resize_size=input_shape[2], crop_size=input_shape[2],
            mean=(0.5,) if gray else _IMAGENET_MEAN, std=(0.5,) if gray else _IMAGENET_STD,
            interpolation="bilinear", channels=input_shape[1])
    return ModelSpec(
        name=name, display_name=display_name, family=USER_FAMILY, year=None, paper=None,
        ilsvrc=None, distinction=None, key_ideas=(), input_size=input_shape[-1],
        preprocessing=preprocessing, reference=None, pretrained_weights=None)


def categories(spec: ModelSpec) -> list[str]:
    """The class names of the model's default weights, in output order (ImageNet-1K: 1000);
    none for a model without published weights (a user's model)."""
    if spec.pretrained_weights is None:
        return []
    import torchvision

    weights = torchvision.models.get_model_weights(spec.name).DEFAULT
    return list(weights.meta["categories"])


def pretrained_path(name: str) -> str:
    """Where torchvision looks for (and downloads) a model's default pretrained weights."""
    import torch
    import torchvision

    weights = torchvision.models.get_model_weights(get_spec(name).name).DEFAULT
    return os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(weights.url))


def build_model(
    name: str, weights: str | os.PathLike[str] = "random", progress: bool = False
) -> nn.Module:
    """Build a zoo model in eval mode.

    ``weights`` is ``"random"`` (torchvision's initialisation, offline), ``"pretrained"``
    (torchvision's default weights from the hub cache, downloaded there if absent, with a
    progress bar when ``progress``) or the path of a checkpoint file
    (:func:`cnnviz.checkpoints.load_checkpoint`).
    Raises :class:`UnknownModelError` or :class:`WeightsError`.
    """
    import torch
    import torchvision

    from cnnviz import checkpoints

    spec = get_spec(name)
    if weights == "pretrained":
        return _build_pretrained(spec, progress).eval()
    with torch.random.fork_rng():  # the same random weights every time: reproducible numbers
        torch.manual_seed(0)
        model = torchvision.models.get_model(spec.name, weights=None,
                                             **_random_build_options(spec))
    if weights != "random":
        checkpoints.load_checkpoint(model, weights, model_name=spec.name)
    return model.eval()


def _random_build_options(spec: ModelSpec) -> dict[str, object]:
    """Builder arguments that give a random model its pretrained architecture, quietly."""
    if spec.family == "ViT":  # torchvision builds a ViT for its weights' image size (518 for H/14)
        return {"image_size": spec.input_size}
    if spec.family == "MaxViT":
        return {"input_size": (spec.input_size, spec.input_size)}
    if spec.name in ("googlenet", "inception_v3"):  # the default, None, means True plus a warning
        return {"init_weights": True}
    return {}


def _build_pretrained(spec: ModelSpec, progress: bool) -> nn.Module:
    import torchvision

    from cnnviz import checkpoints

    weights = torchvision.models.get_model_weights(spec.name).DEFAULT
    path = pretrained_path(spec.name)
    was_cached = os.path.isfile(path)
    try:
        # torchvision builds GoogLeNet and Inception-v3 as their weights need (transform_input).
        return torchvision.models.get_model(spec.name, weights=weights, progress=progress)
    # A failed download raises URLError, OSError or RuntimeError (hash mismatch); torch.load on a
    # damaged cached file raises almost any type.
    except Exception as error:
        why = checkpoints.load_error_reason(error)
        if was_cached:
            raise WeightsError(
                f"the cached pretrained weights for {spec.name} could not be loaded "
                f"({why}): delete {path} to download them again from {weights.url}"
            ) from error
        raise WeightsError(
            f"could not download the pretrained weights for {spec.name} ({why}): "
            f"download {weights.url} and put the file at {path}"
        ) from error
