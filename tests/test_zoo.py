"""Tests of the model zoo: registry facts against torchvision's metadata, and weight sources."""
from __future__ import annotations

import os
import urllib.error
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn

from cnnviz import checkpoints, zoo
from cnnviz.errors import CnnvizError, UnknownModelError, WeightsError

LANDMARKS = [
    "alexnet",
    "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
    "googlenet", "inception_v3",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "densenet121", "densenet161", "densenet169", "densenet201",
]
FAMILY_ORDER = [
    "AlexNet", "VGG", "Inception", "ResNet", "DenseNet", "ResNeXt", "Wide ResNet", "SqueezeNet",
    "MobileNet", "ShuffleNet", "MNASNet", "EfficientNet", "RegNet", "ConvNeXt", "ViT", "Swin",
    "MaxViT",
]
AUX_PREFIXES = ("aux1.", "aux2.", "AuxLogits.")


def default_weights(name: str) -> torchvision.models.WeightsEnum:
    return torchvision.models.get_model_weights(name).DEFAULT


def parameter_count(model: nn.Module, skip_prefixes: tuple[str, ...] = ()) -> int:
    return sum(
        parameter.numel()
        for key, parameter in model.named_parameters()
        if not key.startswith(skip_prefixes)
    )


def assert_same_state(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    loaded = model.state_dict()
    for key, tensor in state.items():
        assert torch.equal(loaded[key], tensor), key


def one_line(error: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# --- registry -----------------------------------------------------------------------------


def test_landmarks_come_first_in_order() -> None:
    specs = zoo.list_models()
    assert [spec.name for spec in specs[: len(LANDMARKS)]] == LANDMARKS
    assert [spec.family for spec in specs[:1]] == ["AlexNet"]
    assert {spec.family for spec in specs[1:9]} == {"VGG"}
    assert [spec.display_name for spec in specs[9:11]] == ["GoogLeNet", "Inception-v3"]


def test_every_torchvision_classifier_appears_exactly_once() -> None:
    names = Counter(spec.name for spec in zoo.list_models())
    assert set(names.values()) == {1}
    assert set(names) == set(torchvision.models.list_models(module=torchvision.models))


def test_families_are_contiguous_and_in_curated_order() -> None:
    families = [spec.family for spec in zoo.list_models()]
    runs = [family for index, family in enumerate(families)
            if index == 0 or families[index - 1] != family]
    assert runs == FAMILY_ORDER


def test_order_within_families() -> None:
    names = [spec.name for spec in zoo.list_models()]

    def in_order(*expected: str) -> bool:
        positions = [names.index(name) for name in expected]
        return positions == sorted(positions)

    assert in_order("efficientnet_b0", "efficientnet_b7", "efficientnet_v2_s",
                    "efficientnet_v2_m", "efficientnet_v2_l")
    assert in_order("regnet_x_400mf", "regnet_x_1_6gf", "regnet_x_16gf", "regnet_y_400mf",
                    "regnet_y_128gf")
    assert in_order("convnext_tiny", "convnext_small", "convnext_base", "convnext_large")
    assert in_order("vit_b_16", "vit_l_16", "vit_h_14")
    assert in_order("swin_t", "swin_b", "swin_v2_t")
    assert in_order("squeezenet1_0", "squeezenet1_1")


def test_every_spec_has_its_history() -> None:
    specs = zoo.list_models()
    assert len({spec.display_name for spec in specs}) == len(specs)
    for spec in specs:
        assert spec.family and spec.family != "Other", spec.name
        assert isinstance(spec.year, int) and 2012 <= spec.year <= 2022, spec.name
        assert spec.paper, spec.name
        assert spec.key_ideas and all(isinstance(idea, str) and idea for idea in spec.key_ideas)


def test_display_names() -> None:
    expected = {
        "alexnet": "AlexNet", "vgg16": "VGG-16", "vgg16_bn": "VGG-16 (BN)",
        "resnet50": "ResNet-50", "densenet121": "DenseNet-121", "googlenet": "GoogLeNet",
        "inception_v3": "Inception-v3", "regnet_x_1_6gf": "RegNetX-1.6GF",
        "vit_b_16": "ViT-B/16", "efficientnet_v2_s": "EfficientNetV2-S",
    }
    assert {name: zoo.get_spec(name).display_name for name in expected} == expected


@pytest.mark.parametrize(
    ("names", "fragment", "year"),
    [
        (["alexnet"], "15.3%", 2012),
        (["vgg16", "vgg19_bn"], "7.3%", 2014),
        (["googlenet"], "6.67%", 2014),
        (["resnet18", "resnet50", "resnet152"], "3.57%", 2015),
    ],
)
def test_ilsvrc_results(names: list[str], fragment: str, year: int) -> None:
    for name in names:
        spec = zoo.get_spec(name)
        assert spec.ilsvrc is not None and fragment in spec.ilsvrc and "ILSVRC" in spec.ilsvrc
        assert spec.year == year


def test_densenet_was_no_ilsvrc_entry_but_won_cvpr() -> None:
    spec = zoo.get_spec("densenet121")
    assert spec.ilsvrc is None
    assert spec.distinction is not None and "CVPR 2017" in spec.distinction
    assert zoo.get_spec("inception_v3").ilsvrc is None


def test_key_ideas_name_what_made_each_landmark() -> None:
    def ideas(name: str) -> str:
        return " ".join(zoo.get_spec(name).key_ideas).lower()

    for word in ("relu", "dropout", "local response normalisation", "overlapping", "two gpus"):
        assert word in ideas("alexnet")
    assert "3x3" in ideas("vgg11")
    assert "batch normalisation" in ideas("vgg11_bn")
    assert "1x1" in ideas("googlenet") and "network-in-network" in ideas("googlenet")
    assert "1x7" in ideas("inception_v3") and "label smoothing" in ideas("inception_v3")
    assert "residual" in ideas("resnet50") and "bottleneck" in ideas("resnet50")
    assert "concatenation" in ideas("densenet121")


def test_reference_numbers_and_preprocessing_come_from_torchvision_meta() -> None:
    for spec in zoo.list_models():
        weights = default_weights(spec.name)
        meta = weights.meta
        transforms = weights.transforms()
        assert spec.reference.num_params == meta["num_params"]
        assert spec.reference.gflops == meta["_ops"]
        assert spec.reference.acc1 == meta["_metrics"]["ImageNet-1K"]["acc@1"]
        assert spec.reference.acc5 == meta["_metrics"]["ImageNet-1K"]["acc@5"]
        assert spec.input_size == spec.preprocessing.crop_size == transforms.crop_size[0]
        assert spec.preprocessing.resize_size == transforms.resize_size[0]
        assert list(spec.preprocessing.mean) == list(transforms.mean)
        assert list(spec.preprocessing.std) == list(transforms.std)
        assert spec.pretrained_weights == str(weights)


def test_reference_numbers_of_the_landmarks() -> None:
    # Published in torchvision's model documentation.
    expected = {
        "alexnet": 61100840, "vgg16": 138357544, "resnet50": 25557032,
        "googlenet": 6624904, "densenet121": 7978856,
    }
    assert {name: zoo.get_spec(name).reference.num_params for name in expected} == expected
    resnet50 = zoo.get_spec("resnet50")
    assert resnet50.reference.acc1 == pytest.approx(80.858)
    assert resnet50.reference.gflops == pytest.approx(4.089)
    assert resnet50.preprocessing.resize_size == 232
    assert resnet50.preprocessing.mean == pytest.approx((0.485, 0.456, 0.406))
    assert resnet50.preprocessing.interpolation == "bilinear"
    assert zoo.get_spec("efficientnet_b0").preprocessing.interpolation == "bicubic"


def test_input_sizes() -> None:
    sizes = {"alexnet": 224, "resnet50": 224, "inception_v3": 299, "efficientnet_b7": 600,
             "swin_v2_t": 256, "vit_h_14": 518}
    assert {name: zoo.get_spec(name).input_size for name in sizes} == sizes


def test_categories() -> None:
    names = zoo.categories(zoo.get_spec("resnet50"))
    assert len(names) == 1000
    assert names[281] == "tabby"
    assert zoo.categories(zoo.get_spec("ResNet-50")) == names
    names.clear()  # a copy: the next caller still gets all 1000
    assert len(zoo.categories(zoo.get_spec("resnet50"))) == 1000
    assert zoo.categories(zoo.user_spec("net.Net", "net.py:Net", (1, 3, 32, 32))) == []


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("resnet50", "resnet50"), ("ResNet-50", "resnet50"), ("resnet-50", "resnet50"),
        ("ResNet50", "resnet50"), ("RESNET50", "resnet50"), ("VGG16", "vgg16"),
        ("VGG-16 (BN)", "vgg16_bn"), ("vgg16-bn", "vgg16_bn"), ("Inception-v3", "inception_v3"),
        ("googlenet", "googlenet"), ("RegNetX-1.6GF", "regnet_x_1_6gf"),
        ("RegNetX-16GF", "regnet_x_16gf"), ("ViT-B/16", "vit_b_16"),
    ],
)
def test_get_spec_accepts_aliases(query: str, name: str) -> None:
    assert zoo.get_spec(query).name == name


def test_every_name_and_display_name_finds_its_own_spec() -> None:
    for spec in zoo.list_models():
        for query in (spec.name, spec.name.upper(), spec.display_name, spec.display_name.lower()):
            assert zoo.get_spec(query) is spec, query


def test_get_spec_suggests_close_matches() -> None:
    with pytest.raises(UnknownModelError) as error:
        zoo.get_spec("resnet5")
    message = one_line(error)
    assert message.startswith("unknown model 'resnet5': did you mean resnet50")
    assert "resnet18" in message

    with pytest.raises(UnknownModelError, match=r"did you mean densenet121"):
        zoo.get_spec("densnet121")
    with pytest.raises(UnknownModelError, match=r"did you mean vgg16"):
        zoo.get_spec("vgg166")


def test_get_spec_without_suggestions_and_ambiguous_names() -> None:
    with pytest.raises(UnknownModelError) as error:
        zoo.get_spec("xyzzy")
    assert "did you mean" not in one_line(error)
    with pytest.raises(UnknownModelError) as error:
        zoo.get_spec("regnetx16gf")  # regnet_x_1_6gf or regnet_x_16gf
    message = one_line(error)
    assert "regnet_x_1_6gf" in message and "regnet_x_16gf" in message
    assert issubclass(UnknownModelError, CnnvizError)


def test_default_model_is_in_the_zoo() -> None:
    assert zoo.get_spec(zoo.DEFAULT_MODEL).name == "resnet18"


# --- building ----------------------------------------------------------------------------


@pytest.fixture
def no_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every download fail as it would offline."""

    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)


@pytest.fixture
def hub_dir(tmp_path: Path, no_downloads: None) -> Iterator[Path]:
    """An empty torch hub directory for the test, the previous one restored afterwards."""
    previous = torch.hub.get_dir()
    hub = tmp_path / "hub"
    torch.hub.set_dir(str(hub))
    yield hub
    torch.hub.set_dir(previous)


def test_build_random_resnet18(no_downloads: None) -> None:
    model = zoo.build_model("resnet18")
    assert not model.training
    assert not any(module.training for module in model.modules())
    assert parameter_count(model) == 11689512 == default_weights("resnet18").meta["num_params"]
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


def test_random_architectures_match_their_pretrained_weights() -> None:
    # Built on the meta device (no memory, no initialisation) so all models take seconds.
    # RegNet computes its widths with tensors, which the meta device cannot do.
    for spec in zoo.list_models():
        if spec.family == "RegNet":
            continue
        with torch.device("meta"):
            model = zoo.build_model(spec.name)
        # torchvision's GoogLeNet count leaves out the auxiliary heads; Inception-v3's keeps them.
        skip = ("aux1.", "aux2.") if spec.name == "googlenet" else ()
        assert parameter_count(model, skip) == default_weights(spec.name).meta["num_params"], \
            spec.name
    for name in ("regnet_x_400mf", "regnet_y_400mf"):
        assert parameter_count(zoo.build_model(name)) == default_weights(name).meta["num_params"]


def test_pretrained_from_the_hub_cache(hub_dir: Path) -> None:
    source = torchvision.models.resnet18()
    url = default_weights("resnet18").url
    cached = hub_dir / "checkpoints" / os.path.basename(url)
    cached.parent.mkdir(parents=True)
    torch.save(source.state_dict(), cached)
    assert zoo.pretrained_path("resnet18") == str(cached)

    model = zoo.build_model("resnet18", weights="pretrained")
    assert not model.training
    assert_same_state(model, source.state_dict())


def test_pretrained_googlenet_is_built_the_torchvision_way(hub_dir: Path) -> None:
    # torchvision's GoogLeNet weights file holds the (untrained) auxiliary heads too.
    source = torchvision.models.googlenet(aux_logits=True, init_weights=True)
    cached = Path(zoo.pretrained_path("googlenet"))
    cached.parent.mkdir(parents=True)
    torch.save(source.state_dict(), cached)

    model = zoo.build_model("googlenet", weights="pretrained")
    assert model.transform_input is True
    assert model.aux1 is None and model.aux2 is None
    assert_same_state(model, {key: value for key, value in source.state_dict().items()
                              if not key.startswith(AUX_PREFIXES)})


def test_pretrained_offline_says_where_to_put_the_file(hub_dir: Path) -> None:
    url = default_weights("resnet18").url
    expected_path = os.path.join(str(hub_dir), "checkpoints", os.path.basename(url))
    with pytest.raises(WeightsError) as error:
        zoo.build_model("resnet18", weights="pretrained")
    message = one_line(error)
    assert expected_path in message
    assert url in message
    assert "download" in message and "offline" in message


def test_pretrained_damaged_cache_file(hub_dir: Path) -> None:
    cached = Path(zoo.pretrained_path("resnet18"))
    cached.parent.mkdir(parents=True)
    cached.write_bytes(os.urandom(2000))
    with pytest.raises(WeightsError) as error:
        zoo.build_model("resnet18", weights="pretrained")
    message = one_line(error)
    assert str(cached) in message and "delete" in message


def test_unknown_model_cannot_be_built() -> None:
    with pytest.raises(UnknownModelError):
        zoo.build_model("lenet")


# --- checkpoints -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def resnet18_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(1)
    return torchvision.models.resnet18().state_dict()


@pytest.mark.parametrize(
    "wrap",
    [
        lambda state: state,
        lambda state: {"state_dict": state, "epoch": 7},
        lambda state: {"model": state, "optimizer": {"lr": 0.1}},
        lambda state: {"model_state_dict": state},
        lambda state: {f"module.{key}": value for key, value in state.items()},
        lambda state: {"state_dict": {f"module.{key}": value for key, value in state.items()}},
        lambda state: {f"_orig_mod.{key}": value for key, value in state.items()},
    ],
    ids=["bare", "state_dict", "model", "model_state_dict", "module.", "wrapped module.",
         "_orig_mod."],
)
def test_checkpoint_layouts_load(
    tmp_path: Path,
    resnet18_state: dict[str, torch.Tensor],
    wrap: Callable[[dict[str, torch.Tensor]], object],
) -> None:
    path = tmp_path / "weights.pt"
    torch.save(wrap(resnet18_state), path)
    model = zoo.build_model("resnet18", weights=path)
    assert not model.training
    assert_same_state(model, resnet18_state)


def test_checkpoint_path_as_string(
    tmp_path: Path, resnet18_state: dict[str, torch.Tensor]
) -> None:
    path = tmp_path / "weights.pth"
    torch.save(resnet18_state, path)
    assert_same_state(zoo.build_model("resnet18", weights=str(path)), resnet18_state)


def test_checkpoint_without_num_batches_tracked_loads(
    tmp_path: Path, resnet18_state: dict[str, torch.Tensor]
) -> None:
    # Checkpoints saved before PyTorch 0.4.1 (torchvision's own ResNet files) lack these buffers.
    old = {key: value for key, value in resnet18_state.items()
           if not key.endswith("num_batches_tracked")}
    path = tmp_path / "old.pth"
    torch.save(old, path)
    assert_same_state(zoo.build_model("resnet18", weights=path), old)


def test_legacy_densenet_key_names_load(tmp_path: Path) -> None:
    # torchvision's DenseNet files name layers "norm.1", "conv.2" and predate num_batches_tracked.
    source = {key: value for key, value in torchvision.models.densenet121().state_dict().items()
              if not key.endswith("num_batches_tracked")}
    legacy = {
        key.replace(".norm1.", ".norm.1.").replace(".conv2.", ".conv.2."): value
        for key, value in source.items()
    }
    assert any(".norm.1." in key for key in legacy)
    path = tmp_path / "densenet.pth"
    torch.save(legacy, path)
    assert_same_state(zoo.build_model("densenet121", weights=path), source)


@pytest.fixture(scope="module")
def googlenet_state() -> dict[str, torch.Tensor]:
    """The state of GoogLeNet as torchvision's pretrained model has it: no auxiliary heads."""
    state = torchvision.models.googlenet(aux_logits=False, init_weights=True).state_dict()
    assert not any(key.startswith(AUX_PREFIXES) for key in state)
    return state


def test_googlenet_checkpoint_without_aux_heads_loads(
    tmp_path: Path, googlenet_state: dict[str, torch.Tensor]
) -> None:
    path = tmp_path / "googlenet.pth"
    torch.save(googlenet_state, path)
    model = zoo.build_model("googlenet", weights=path)
    assert_same_state(model, googlenet_state)
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


def test_mismatched_checkpoint_names_every_problem(
    tmp_path: Path, resnet18_state: dict[str, torch.Tensor]
) -> None:
    state = dict(resnet18_state)
    del state["fc.weight"], state["fc.bias"]
    state["head.weight"] = torch.zeros(3)
    state["conv1.weight"] = torch.zeros(64, 1, 7, 7)
    path = tmp_path / "a.pt"
    torch.save(state, path)
    with pytest.raises(WeightsError) as error:
        zoo.build_model("resnet18", weights=path)
    assert one_line(error) == (
        f"checkpoint {path} does not match resnet18: 2 missing keys (fc.weight, fc.bias), "
        "1 unexpected key (head.weight), "
        "1 shape mismatch (conv1.weight: checkpoint (64, 1, 7, 7) vs model (64, 3, 7, 7))"
    )


def test_mismatch_lists_a_few_names_then_a_count(tmp_path: Path) -> None:
    model = nn.Sequential(*(nn.Linear(2, 2) for _ in range(8)))  # 16 tensors
    path = tmp_path / "other.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(WeightsError) as error:
        checkpoints.load_checkpoint(model, path)
    message = one_line(error)
    assert (
        "16 missing keys (0.weight, 0.bias, 1.weight, 1.bias, 2.weight, …and 11 more)" in message
    )
    assert "1 unexpected key (weight)" in message
    assert "Sequential" in message


def test_mismatched_googlenet_checkpoint_does_not_list_aux_heads(
    tmp_path: Path, googlenet_state: dict[str, torch.Tensor]
) -> None:
    source = dict(googlenet_state)
    del source["fc.bias"]
    path = tmp_path / "googlenet.pth"
    torch.save(source, path)
    with pytest.raises(WeightsError) as error:
        zoo.build_model("googlenet", weights=path)
    message = one_line(error)
    assert "1 missing key (fc.bias)" in message and "aux" not in message


def write_truncated_checkpoint(path: Path) -> None:
    torch.save({"weight": torch.zeros(100)}, path)
    path.write_bytes(path.read_bytes()[:200])


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda path: path.write_bytes(os.urandom(4096)), "is not a PyTorch checkpoint"),
        (lambda path: path.write_text("hello\nworld\n"), "is not a PyTorch checkpoint"),
        (write_truncated_checkpoint, "is not a PyTorch checkpoint"),
        (lambda path: path.write_bytes(b""), "is empty"),
        (lambda path: path.mkdir(), "is a directory"),
        (lambda path: None, "not found"),
        (lambda path: torch.save([1, 2, 3], path), "holds a list, not a state_dict"),
        (lambda path: torch.save(torch.zeros(3), path), "holds a Tensor, not a state_dict"),
        (lambda path: torch.save({}, path), "holds an empty dict"),
        (lambda path: torch.save({"epoch": 3, "lr": 0.1}, path), "not a state_dict"),
        (lambda path: torch.save(nn.Linear(2, 2), path), "state_dict()"),
    ],
    ids=["random bytes", "text", "truncated", "empty", "directory", "missing", "list",
         "tensor", "empty dict", "training state", "whole module"],
)
def test_unreadable_checkpoints_give_a_clear_error(
    tmp_path: Path, write: Callable[[Path], object], expected: str
) -> None:
    path = tmp_path / "checkpoint.pt"
    write(path)
    model = nn.Linear(2, 2)
    with pytest.raises(WeightsError) as error:
        checkpoints.load_checkpoint(model, path)
    message = one_line(error)
    assert str(path) in message
    assert expected in message


def test_random_weights_are_the_same_every_time() -> None:
    """Reproducible numbers (predictions, activations) across runs and processes."""
    first, second = zoo.build_model("resnet18"), zoo.build_model("resnet18")
    assert torch.equal(first.conv1.weight, second.conv1.weight)
    assert torch.equal(first.fc.weight, second.fc.weight)
    state = torch.random.get_rng_state()
    zoo.build_model("alexnet")
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's generator untouched
