"""Opening users' models (cnnviz.sources): every kind of file, the input shapes models declare,
safety (nothing runs without trust), one-line errors for whatever user code does wrong, and
non-image nets, TorchScript and exported programs traced with numbers checked independently.

Every model file is written by the test into tmp_path."""
from __future__ import annotations

import importlib
import io
import math
import pathlib
import sys
import textwrap
import uuid
import zipfile

import pytest
import torch
from torch import nn

from cnnviz import graph as g
from cnnviz import references, sources
from cnnviz.errors import CnnvizError, ModelFileError, TraceError, UntrustedCodeError
from cnnviz.limits import TimeLimitError
from cnnviz.references import resolve_model


def load(text: str, **options) -> sources.UserModel:
    """The user's model that ``text`` names, opened as the app and the command line do."""
    return sources.load_user_model(resolve_model(text), **options)

MODELS = textwrap.dedent("""
    import torch
    from torch import nn


    class MnistNet(nn.Module):
        input_shape = (1, 1, 28, 28)

        def __init__(self, num_classes=10, width=8):
            super().__init__()
            self.conv1 = nn.Conv2d(1, width, 3, padding=1)
            self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1, groups=2)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(2 * width * 7 * 7, num_classes)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            return self.fc(torch.flatten(x, 1))


    class VolumeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.example_input = torch.zeros(1, 1, 16, 32, 32)
            self.conv1 = nn.Conv3d(1, 4, 3, padding=1)
            self.bn = nn.BatchNorm3d(4)
            self.pool = nn.MaxPool3d(2)
            self.conv2 = nn.Conv3d(4, 8, (3, 5, 5), stride=(1, 2, 2), dilation=(1, 2, 1))
            self.head = nn.Sequential(nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(8, 3))

        def forward(self, x):
            x = self.pool(torch.relu(self.bn(self.conv1(x))))
            return self.head(self.conv2(x))


    class SignalNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv1d(2, 8, 7, stride=2, groups=2)
            self.conv2 = nn.Conv1d(8, 8, 3, dilation=2)
            self.pool = nn.MaxPool1d(2)
            self.fc = nn.Linear(8, 5)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv1(x)))
            return self.fc(self.conv2(x).mean(-1))


    def make_mnist(num_classes=10):
        return MnistNet(num_classes=num_classes)


    WIDTH = 3
""")

SCRIPTABLE = textwrap.dedent("""
    import torch
    from torch import nn


    class Block(nn.Module):
        def __init__(self, channels, shortcut):
            super().__init__()
            self.shortcut = shortcut
            self.conv = nn.Conv2d(channels, channels, 3, padding=1)
            self.bn = nn.BatchNorm2d(channels)

        def forward(self, x):
            y = self.bn(self.conv(x))
            if self.shortcut:
                y = y + x
            return torch.relu(y)


    class ScriptNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, stride=2)
            self.blocks = nn.ModuleList([Block(8, True), Block(8, False)])
            self.branch = nn.Conv2d(8, 4, 1)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(12, 10)

        def forward(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            x = torch.cat([x, self.branch(x)], 1)
            return self.fc(torch.flatten(self.pool(x), 1))
""")


def write(folder: pathlib.Path, name: str, source: str) -> pathlib.Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def line_of(path: pathlib.Path, text: str) -> int:
    """The number of the first line of the file containing ``text``."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def import_as_package_module(path: pathlib.Path):
    """The file imported under a unique importable name (as the user's own script would)."""
    name = f"cnnviz_test_{path.stem}_{uuid.uuid4().hex[:8]}"
    importable = path.with_name(f"{name}.py")
    importable.write_text(path.read_text())
    sys.path.insert(0, str(path.parent))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(path.parent))


def forget(module) -> None:
    """Drop a test module from sys.modules, so unpickling has to find its file again."""
    sys.modules.pop(module.__name__, None)


@pytest.fixture
def models(tmp_path) -> pathlib.Path:
    return write(tmp_path, "models.py", MODELS)


@pytest.fixture
def scriptable(tmp_path):
    return import_as_package_module(write(tmp_path, "scriptable.py", SCRIPTABLE))


# --------------------------------------------------------------------------------------------
# References and input shapes


@pytest.mark.parametrize("text,shape", [
    ("1,1,28,28", (1, 1, 28, 28)), ("1x3x224x224", (1, 3, 224, 224)),
    (" 1, 2, 128 ", (1, 2, 128)), ("(1, 1, 16, 32, 32)", (1, 1, 16, 32, 32)), ("4,10", (4, 10))])
def test_input_shapes_are_parsed(text: str, shape: tuple[int, ...]) -> None:
    assert sources.parse_input_shape(text) == shape


@pytest.mark.parametrize("text", ["", "1,3,x", "a,b", "1,3,224,0", "1,-3,5", "7", "1.5,3",
                                  "1,,3"])
def test_bad_input_shapes_are_one_line_errors(text: str) -> None:
    with pytest.raises(CnnvizError) as raised:
        sources.parse_input_shape(text)
    assert "\n" not in str(raised.value) and "shape" in str(raised.value)


# --------------------------------------------------------------------------------------------
# Python files


def test_a_class_is_built_with_json_or_keyword_arguments(models) -> None:
    for arguments in ('{"num_classes": 5, "width": 4}', "num_classes=5, width=4"):
        user = load(f"{models}:MnistNet", trust=True, arguments=arguments)
        assert user.name == "models.py:MnistNet" and user.kind == sources.PYTHON
        assert user.path == str(models) and not user.module.training
        assert user.module.fc.out_features == 5 and user.module.conv1.out_channels == 4
        assert user.input_shape == (1, 1, 28, 28)


def test_a_factory_is_called_and_a_module_instance_used_as_is(models, tmp_path) -> None:
    user = load(f"{models}:make_mnist", trust=True, arguments="num_classes=7")
    assert isinstance(user.module, nn.Module) and user.module.fc.out_features == 7
    instance = write(tmp_path, "instance.py", """
        from torch import nn
        model = nn.Sequential(nn.Linear(4, 2))
        model.train()
    """)
    user = load(f"{instance}:model", trust=True)
    assert isinstance(user.module, nn.Sequential) and not user.module.training


def test_without_a_name_the_only_model_class_is_used(tmp_path, models) -> None:
    single = write(tmp_path, "single.py", """
        from torch import nn
        from torch.nn import Conv2d  # imported classes do not count

        class Only(nn.Module):
            def forward(self, x):
                return x
    """)
    assert load(str(single), trust=True).name == "single.py:Only"
    with pytest.raises(ModelFileError, match="several models .*MnistNet.*VolumeNet"):
        load(str(models), trust=True)


def test_candidate_names_are_read_without_running_the_file(models, tmp_path) -> None:
    marker = tmp_path / "ran"
    source = MODELS + f"\nimport pathlib\npathlib.Path({str(marker)!r}).touch()\n"
    path = write(tmp_path, "candidates.py", source)
    assert references.candidate_names(str(path)) == ["MnistNet", "VolumeNet", "SignalNet",
                                                  "make_mnist"]
    assert not marker.exists()
    assert references.candidate_names(str(tmp_path / "missing.py")) == []


@pytest.mark.parametrize("reference,declared", [
    ("MnistNet", (1, 1, 28, 28)), ("VolumeNet", (1, 1, 16, 32, 32)), ("SignalNet", None)])
def test_declared_input_shapes(models, reference: str, declared) -> None:
    user = load(f"{models}:{reference}", trust=True)
    assert user.input_shape == declared
    if declared:  # traced at the declared shape when none is given
        assert sources.trace_user_model(user).graph[g.INPUT_SHAPE] == declared


def test_a_given_shape_wins_over_the_declared_one(models) -> None:
    user = load(f"{models}:make_mnist", trust=True)
    graph = sources.trace_user_model(user, (2, 1, 28, 28))
    assert graph.graph[g.INPUT_SHAPE] == (2, 1, 28, 28)


def test_outputs_that_are_tuples_or_dicts_are_drawn(tmp_path) -> None:
    path = write(tmp_path, "heads.py", """
        from torch import nn

        class Pair(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(3, 4, 3)
                self.b = nn.Conv2d(3, 2, 1)

            def forward(self, x):
                return self.a(x), self.b(x)

        class Named(Pair):
            def forward(self, x):
                return {"a": self.a(x), "b": self.b(x)}
    """)
    for name in ("Pair", "Named"):
        graph = sources.trace_user_model(
            load(f"{path}:{name}", trust=True), (1, 3, 8, 8))
        output = next(n for n, c in graph.nodes(data=g.CATEGORY) if c == g.Category.OUTPUT)
        assert sorted(graph.nodes[p][g.OUT_SHAPE] for p in graph.predecessors(output)) == \
            [(1, 2, 8, 8), (1, 4, 6, 6)]


# --------------------------------------------------------------------------------------------
# What user code does wrong: one line, the file, the line


def check_one_line(error: BaseException, *fragments: str) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_a_syntax_error_names_the_file_and_line(tmp_path) -> None:
    path = write(tmp_path, "broken.py", """
        import torch

        class Net(torch.nn.Module)
            pass
    """)
    with pytest.raises(ModelFileError) as raised:
        load(str(path), trust=True)
    check_one_line(raised.value, f"broken.py, line {line_of(path, 'class Net')}", "SyntaxError")


def test_an_import_error_names_the_file_and_line(tmp_path) -> None:
    path = write(tmp_path, "needs.py", """
        import torch
        import a_package_that_is_not_installed
    """)
    with pytest.raises(ModelFileError) as raised:
        load(f"{path}:Net", trust=True)
    check_one_line(raised.value, f"needs.py, line {line_of(path, 'a_package')}",
                   "ModuleNotFoundError", "a_package_that_is_not_installed")


def test_an_error_in_a_helper_module_beside_the_file_names_the_helper(tmp_path) -> None:
    write(tmp_path, "helper_layers.py", """
        def width():
            return {}["missing"]
    """)
    path = write(tmp_path, "uses_helper.py", """
        from torch import nn
        import helper_layers

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, helper_layers.width(), 3)
    """)
    with pytest.raises(ModelFileError) as raised:
        load(f"{path}:Net", trust=True)
    check_one_line(raised.value, "helper_layers.py, line 3, in width", "KeyError")
    assert str(tmp_path) not in sys.path  # the folder is on sys.path while importing only


def test_a_reload_reads_edited_helper_modules_again(tmp_path) -> None:
    """Watch mode reloads the model when the user edits it, helpers beside it included."""
    helper = write(tmp_path, "helper_widths.py", "WIDTH = 4\n")
    path = write(tmp_path, "uses_widths.py", """
        from torch import nn
        from helper_widths import WIDTH

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, WIDTH, 3)
    """)
    assert load(str(path), trust=True).module.conv.out_channels == 4
    helper.write_text("WIDTH = 6\n")
    assert load(str(path), trust=True).module.conv.out_channels == 6
    assert "helper_widths" not in sys.modules
    assert not (tmp_path / "__pycache__").exists()  # nothing written into the user's folder


def test_an_error_in_init_names_the_line(tmp_path) -> None:
    path = write(tmp_path, "init.py", """
        from torch import nn

        class Net(nn.Module):
            def __init__(self, width=4):
                super().__init__()
                self.conv = nn.Conv2d(3, width, 3)
                raise ValueError("width must be even")
    """)
    with pytest.raises(ModelFileError) as raised:
        load(f"{path}:Net", trust=True)
    check_one_line(raised.value, "init.py:Net",
                   f"init.py, line {line_of(path, 'raise')}, in __init__",
                   "ValueError: width must be even")
    with pytest.raises(ModelFileError) as raised:  # an argument the constructor lacks
        load(f"{path}:Net", trust=True, arguments="depth=3")
    check_one_line(raised.value, "init.py:Net", "TypeError", "depth")


def test_an_error_in_forward_names_the_innermost_line_of_the_users_file(tmp_path) -> None:
    path = write(tmp_path, "forward.py", """
        import torch
        from torch import nn

        def scale(x):
            return x / (1 // 0)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 4, 3)

            def forward(self, x):
                return scale(self.conv(x))
    """)
    user = load(f"{path}:Net", trust=True)
    with pytest.raises(TraceError) as raised:
        sources.trace_user_model(user, (1, 3, 16, 16))
    check_one_line(raised.value, "forward.py:Net", "1×3×16×16",
                   f"forward.py, line {line_of(path, '1 // 0')}, in scale",
                   "ZeroDivisionError: integer division or modulo by zero")


def test_a_wrong_input_shape_names_the_line_and_says_the_shape_was_the_default(models) -> None:
    user = load(f"{models}:SignalNet", trust=True)
    with pytest.raises(TraceError) as raised:
        sources.trace_user_model(user)
    check_one_line(raised.value, "1×3×224×224", "models.py, line", "in forward",
                   "RuntimeError", "--input-shape")


def test_a_forward_that_returns_no_tensor_is_explained(tmp_path) -> None:
    path = write(tmp_path, "nothing.py", """
        import torch
        from torch import nn

        class Text(nn.Module):
            def forward(self, x):
                return "a tensor was expected"

        class Constant(nn.Module):
            def forward(self, x):
                return torch.ones(3)
    """)
    for name in ("Text", "Constant"):
        user = load(f"{path}:{name}", trust=True)
        with pytest.raises(TraceError) as raised:
            sources.trace_user_model(user, (1, 3, 8, 8))
        check_one_line(raised.value, f"nothing.py:{name}", "returns no tensor")


def test_a_missing_name_lists_what_the_file_defines(models) -> None:
    with pytest.raises(ModelFileError) as raised:
        load(f"{models}:ResNet", trust=True)
    check_one_line(raised.value, "models.py", "ResNet", "MnistNet", "VolumeNet", "make_mnist")


@pytest.mark.parametrize("name,fragment", [("WIDTH", "int"), ("torch", "imported module")])
def test_a_name_that_is_no_model_is_refused(models, name: str, fragment: str) -> None:
    with pytest.raises(ModelFileError) as raised:
        load(f"{models}:{name}", trust=True)
    check_one_line(raised.value, f"models.py:{name}", fragment, "nn.Module")


def test_a_factory_that_returns_no_model_is_refused(tmp_path) -> None:
    path = write(tmp_path, "factory.py", """
        def make():
            return [1, 2, 3]
    """)
    with pytest.raises(ModelFileError) as raised:
        load(f"{path}:make", trust=True)
    check_one_line(raised.value, "factory.py:make", "returned a list")
    with pytest.raises(ModelFileError) as raised:
        load(str(path), trust=True)
    check_one_line(raised.value, "factory.py", "no nn.Module subclass", "make")


@pytest.mark.parametrize("arguments", [
    "num_classes=__import__('os').system('touch {marker}')", "x=1), print('hi'",
    "{marker}", '{"a": 1', "10", "**{'a': 1}", '{"not a name": 1}'])
def test_arguments_are_never_evaluated(models, tmp_path, arguments: str) -> None:
    marker = tmp_path / "evaluated"
    with pytest.raises(ModelFileError) as raised:
        load(f"{models}:MnistNet", trust=True,
                                arguments=arguments.replace("{marker}", str(marker)))
    check_one_line(raised.value, "arguments")
    assert not marker.exists()


@pytest.mark.parametrize("source,doing", [
    ("while True:\n    pass\n", "import"),
    ("from torch import nn\n\nclass Net(nn.Module):\n    def __init__(self):\n"
     "        super().__init__()\n        while True:\n            try:\n"
     "                pass\n            except Exception:\n                pass\n", "build"),
    ("from torch import nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
     "        while True:\n            x = x + 1\n", "trace")])
def test_endless_loops_hit_the_time_limit(tmp_path, source: str, doing: str) -> None:
    path = write(tmp_path, "endless.py", source)
    with pytest.raises(TimeLimitError) as raised:
        user = load(f"{path}:Net", trust=True, time_limit_s=1.0)
        sources.trace_user_model(user, (1, 3, 8, 8), time_limit_s=1.0)
    what = "endless.py" if doing == "import" else "endless.py:Net"
    assert str(raised.value) == f"{what} took longer than 1 s to {doing} (an endless loop?)"


@pytest.mark.parametrize("name,fragment", [
    ("missing.pt", "no such file"), ("missing.py:Net", "no such file")])
def test_files_that_are_not_there(tmp_path, name: str, fragment: str) -> None:
    with pytest.raises(ModelFileError) as raised:
        load(str(tmp_path / name), trust=True)
    check_one_line(raised.value, name.partition(":")[0], fragment)


# --------------------------------------------------------------------------------------------
# Safety: nothing from the file runs without trust


class Malicious:
    """Unpickling this touches a file: what a hostile checkpoint would do worse."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def test_a_malicious_pickle_is_refused_without_trust(tmp_path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "checkpoint.pt"
    torch.save({"model": Malicious(marker)}, path)
    with pytest.raises(UntrustedCodeError) as raised:
        load(str(path))
    check_one_line(raised.value, "checkpoint.pt", "pickled Python object", "--trust")
    assert not marker.exists()
    with pytest.raises(ModelFileError):  # trusted, it runs: the test can fail
        load(str(path), trust=True)
    assert marker.exists()


def test_a_python_file_is_never_imported_without_trust(tmp_path) -> None:
    marker = tmp_path / "imported"
    path = write(tmp_path, "hostile.py", f"""
        import pathlib
        from torch import nn
        pathlib.Path({str(marker)!r}).touch()

        class Net(nn.Module):
            def forward(self, x):
                return x
    """)
    for reference in (str(path), f"{path}:Net"):
        with pytest.raises(UntrustedCodeError) as raised:
            load(reference, arguments="a=1")
        check_one_line(raised.value, "hostile.py", "--trust")
    assert not marker.exists()
    load(f"{path}:Net", trust=True)
    assert marker.exists()


def malicious_exported_program(tmp_path: pathlib.Path, marker: pathlib.Path) -> pathlib.Path:
    """A real exported program whose stored example inputs are a hostile pickle."""
    clean = tmp_path / "clean.pt2"
    torch.export.save(torch.export.export(nn.Sequential(nn.Linear(4, 2)).eval(),
                                          (torch.zeros(1, 4),)), clean)
    payload = io.BytesIO()
    torch.save(((Malicious(marker),), {}), payload)
    path = tmp_path / "hostile.pt2"
    with zipfile.ZipFile(clean) as source, zipfile.ZipFile(path, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if "sample_inputs" in entry.filename:
                data = payload.getvalue()
            target.writestr(entry, data)
    return path


def test_an_exported_program_holding_a_pickle_needs_trust(tmp_path) -> None:
    marker = tmp_path / "pwned"
    path = malicious_exported_program(tmp_path, marker)
    load(str(tmp_path / "clean.pt2"))  # no pickles: no trust needed
    with pytest.raises(UntrustedCodeError) as raised:
        load(str(path))
    check_one_line(raised.value, "hostile.pt2", "--trust")
    assert not marker.exists()
    assert torch.load is not None and "weights_only" not in repr(torch.load)  # restored
    try:
        load(str(path), trust=True)
    except CnnvizError:
        pass
    assert marker.exists()


def test_a_pickled_module_needs_trust_and_then_loads_from_its_folder(tmp_path, scriptable) -> None:
    model = scriptable.ScriptNet().eval()
    path = tmp_path / "whole.pth"
    torch.save(model, path)
    forget(scriptable)
    with pytest.raises(UntrustedCodeError) as raised:
        load(str(path))
    check_one_line(raised.value, "whole.pth", scriptable.__name__, "--trust")
    user = load(str(path), trust=True)
    assert user.kind == sources.PICKLE and user.name == "whole.pth"
    assert sum(p.numel() for p in user.module.parameters()) == \
        sum(p.numel() for p in model.parameters())
    graph = sources.trace_user_model(user, (1, 3, 32, 32))
    assert graph.graph[g.TOTAL_PARAMS] == sum(p.numel() for p in model.parameters())


def test_a_state_dict_points_to_weights(tmp_path, scriptable) -> None:
    path = tmp_path / "weights.pth"
    torch.save(scriptable.ScriptNet().state_dict(), path)
    with pytest.raises(ModelFileError) as raised:
        load(str(path))
    check_one_line(raised.value, "weights.pth", "state_dict", "--weights")


# --------------------------------------------------------------------------------------------
# Non-image inputs: numbers checked against the running model


def leaf_calls(model: nn.Module, example: torch.Tensor
               ) -> list[tuple[str, nn.Module, torch.Tensor]]:
    """(path, module, output) of every convolution and linear layer the forward runs."""
    paths = {id(m): p for p, m in model.named_modules()}
    calls: list[tuple[str, nn.Module, torch.Tensor]] = []
    hooks = [m.register_forward_hook(lambda m, i, o: calls.append((paths[id(m)], m, o)))
             for m in model.modules() if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear))]
    try:
        with torch.no_grad():
            model(example)
    finally:
        for hook in hooks:
            hook.remove()
    return calls


def expected_macs(model: nn.Module, example: torch.Tensor) -> dict[str, int]:
    """Each output element of a convolution costs in_channels/groups × kernel volume
    multiply-accumulates; of a linear layer, in_features."""
    macs: dict[str, int] = {}
    for path, module, out in leaf_calls(model, example):
        if isinstance(module, nn.Linear):
            per_output = module.in_features
        else:
            per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
        macs[path] = macs.get(path, 0) + out.numel() * per_output
    return macs


def traced_macs(graph) -> dict[str, int]:
    macs: dict[str, int] = {}
    for _, attrs in graph.nodes(data=True):
        if attrs[g.MACS]:
            macs[attrs[g.QUALNAME]] = macs.get(attrs[g.QUALNAME], 0) + attrs[g.MACS]
    return macs


class _Stop(Exception):
    pass


def measured_receptive_field(model: nn.Module, path: str, shape: tuple[int, ...]
                             ) -> tuple[int, ...]:
    """Per spatial axis, the extent of the input that one central output position of the
    layer at ``path`` depends on: the support of its input gradient, with all weights
    positive (nothing cancels) and max pools made average pools (every position passes)."""
    import copy
    probe = copy.deepcopy(model).double().eval()
    pools = {nn.MaxPool1d: nn.AvgPool1d, nn.MaxPool2d: nn.AvgPool2d, nn.MaxPool3d: nn.AvgPool3d}
    for parent in list(probe.modules()):
        for name, child in parent.named_children():
            if type(child) in pools:
                setattr(parent, name, pools[type(child)](child.kernel_size, child.stride,
                                                         child.padding))
    with torch.no_grad():
        for module in probe.modules():
            if isinstance(module, (nn.modules.conv._ConvNd, nn.Linear)):
                module.weight.fill_(0.01)
    captured: list[torch.Tensor] = []

    def grab(_module, _inputs, output):
        captured.append(output)
        raise _Stop  # the layers after it may not fit the larger input

    probe.get_submodule(path).register_forward_hook(grab)
    example = torch.full(shape, 0.5, dtype=torch.float64, requires_grad=True)
    with pytest.raises(_Stop):
        probe(example)
    out = captured[0]
    centre = (0, slice(None), *(size // 2 for size in out.shape[2:]))
    out[centre].sum().backward()
    support = example.grad[0].abs().sum(0) > 0
    extents = []
    for axis in range(support.dim()):
        others = tuple(a for a in range(support.dim()) if a != axis)
        hit = support.any(dim=others) if others else support
        indices = hit.nonzero().flatten()
        assert indices[0] > 0 and indices[-1] < support.shape[axis] - 1, "touches the border"
        extents.append(int(indices[-1] - indices[0] + 1))
    return tuple(extents)


def node_of(graph, qualname: str) -> dict:
    return next(a for _, a in graph.nodes(data=True) if a[g.QUALNAME] == qualname)


@pytest.mark.parametrize("name,shape,field_layer", [
    ("MnistNet", (1, 1, 28, 28), "conv2"),
    ("VolumeNet", (1, 1, 16, 32, 32), "conv2"),
    ("SignalNet", (1, 2, 128), "conv2")])
def test_non_image_nets_params_macs_and_receptive_fields(models, name: str, shape, field_layer
                                                         ) -> None:
    user = load(f"{models}:{name}", trust=True)
    graph = sources.trace_user_model(user, shape)
    model = user.module
    example = torch.zeros(shape)
    assert graph.graph[g.TRACER] == "torch.fx"
    assert graph.graph[g.TOTAL_PARAMS] == sum(p.numel() for p in model.parameters())
    expected = expected_macs(model, example)
    assert traced_macs(graph) == expected
    assert graph.graph[g.TOTAL_MACS] == sum(expected.values())
    outputs = {p: tuple(o.shape) for p, _, o in leaf_calls(model, example)}
    for path, out_shape in outputs.items():
        assert node_of(graph, path)[g.OUT_SHAPE] == out_shape
    field = node_of(graph, field_layer)[g.RF]
    measure_shape = (1, shape[1], *(4 * s for s in shape[2:]))  # room around the field
    assert field.size == measured_receptive_field(model, field_layer, measure_shape)
    output = next(a for _, a in graph.nodes(data=True) if a[g.CATEGORY] == g.Category.OUTPUT)
    assert output[g.RF].is_global


# --------------------------------------------------------------------------------------------
# TorchScript and exported programs


def reference_graph(model: nn.Module, shape: tuple[int, ...]):
    from cnnviz.trace import trace_model
    return trace_model(model, torch.zeros(shape), "reference")


@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_files_open_without_trust_and_keep_their_layers(tmp_path, scriptable,
                                                                    how: str) -> None:
    model = scriptable.ScriptNet().eval()
    example = torch.zeros(1, 3, 32, 32)
    saved = torch.jit.script(model) if how == "script" else torch.jit.trace(model, example)
    path = tmp_path / f"model.{'pt' if how == 'script' else 'jit'}"
    torch.jit.save(saved, str(path))
    user = load(str(path))
    assert user.kind == sources.TORCHSCRIPT and user.name == path.name
    graph = sources.trace_user_model(user, (1, 3, 32, 32))
    assert graph.graph[g.TRACER] == "torchscript" and graph.graph[g.TRACER_NOTE]
    assert graph.graph[g.TOTAL_PARAMS] == sum(p.numel() for p in model.parameters())
    assert traced_macs(graph) == expected_macs(model, example)
    reference = reference_graph(model, (1, 3, 32, 32))
    for category in (g.Category.CONV, g.Category.NORM, g.Category.ADD, g.Category.CONCAT):
        count = [sum(1 for _, c in graph_.nodes(data=g.CATEGORY) if c == category)
                 for graph_ in (graph, reference)]
        assert count[0] == count[1], category  # the if on `shortcut` is resolved
    for name in ("blocks.1.conv", "blocks.0.bn", "branch"):
        ours, theirs = node_of(graph, name), node_of(reference, name)
        assert ours[g.HIERARCHY] == theirs[g.HIERARCHY]
        assert ours[g.OUT_SHAPE] == theirs[g.OUT_SHAPE] and ours[g.RF] == theirs[g.RF]
    assert node_of(graph, "blocks.1.conv")[g.HIERARCHY] == (("blocks.1", "Block"),)
    assert any(graph.edges[e][g.SKIP] for e in graph.edges)  # the residual join
    # Each tensor of the concatenated list keeps its own shape on its edge.
    assert concatenated_shapes(graph) == concatenated_shapes(reference) \
        == [(1, 4, 15, 15), (1, 8, 15, 15)]


def concatenated_shapes(graph) -> list[tuple[int, ...]]:
    """The shapes on the edges into the graph's one concatenation."""
    cat = next(n for n, c in graph.nodes(data=g.CATEGORY) if c == g.Category.CONCAT)
    return sorted(graph.edges[source, cat][g.SHAPE] for source in graph.predecessors(cat))


def test_a_torchscript_model_on_a_wrong_input_is_one_line(tmp_path, scriptable) -> None:
    path = tmp_path / "model.ts"
    torch.jit.save(torch.jit.script(scriptable.ScriptNet().eval()), str(path))
    user = load(str(path))
    with pytest.raises(TraceError) as raised:
        sources.trace_user_model(user, (1, 1, 32, 32))
    check_one_line(raised.value, "model.ts", "1×1×32×32", "channels")


def test_exported_programs_are_graphs_of_aten_operations(tmp_path, scriptable) -> None:
    model = scriptable.ScriptNet().eval()
    example = torch.zeros(1, 3, 32, 32)
    path = tmp_path / "model.pt2"
    torch.export.save(torch.export.export(model, (example,)), path)
    user = load(str(path))
    assert user.kind == sources.EXPORTED and user.input_shape == (1, 3, 32, 32)
    user.module.eval()  # an exported module's eval() is allowed again
    graph = sources.trace_user_model(user)
    assert graph.graph[g.TOTAL_PARAMS] == sum(p.numel() for p in model.parameters())
    assert traced_macs(graph) == expected_macs(model, example)
    reference = reference_graph(model, (1, 3, 32, 32))
    for category in (g.Category.CONV, g.Category.NORM, g.Category.ACT, g.Category.POOL,
                     g.Category.ADD, g.Category.CONCAT, g.Category.LINEAR):
        count = [sum(1 for _, c in graph_.nodes(data=g.CATEGORY) if c == category)
                 for graph_ in (graph, reference)]
        assert count[0] == count[1] > 0, category
    for name in ("blocks.0.conv", "blocks.1.bn", "branch", "fc"):
        ours, theirs = node_of(graph, name), node_of(reference, name)
        assert ours[g.HIERARCHY] == theirs[g.HIERARCHY]
        assert ours[g.OUT_SHAPE] == theirs[g.OUT_SHAPE] and ours[g.RF] == theirs[g.RF]
    with pytest.raises(TraceError) as raised:
        sources.trace_user_model(user, (1, 3, 40, 40))
    check_one_line(raised.value, "model.pt2", "exported for a 1×3×32×32 input")


@pytest.mark.parametrize("decompose", [False, True])
def test_exported_transposed_and_grouped_convolutions_count_like_their_layers(tmp_path,
                                                                             decompose) -> None:
    """Decomposed programs use aten's generic ``convolution`` (with ``transposed``) and
    ``addmm``; the numbers must not change."""
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, groups=1), nn.ReLU(),
                          nn.Conv2d(8, 8, 3, groups=4, padding=1),
                          nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), nn.Flatten(),
                          nn.Linear(4 * 32 * 32, 5)).eval()
    example = torch.zeros(1, 3, 33, 33)
    program = torch.export.export(model, (example,))
    if decompose:
        program = program.run_decompositions()
    path = tmp_path / "decoder.pt2"
    torch.export.save(program, path)
    graph = sources.trace_user_model(load(str(path)))
    reference = reference_graph(model, tuple(example.shape))
    assert graph.graph[g.TOTAL_MACS] == reference.graph[g.TOTAL_MACS] > 0
    assert traced_macs(graph) == traced_macs(reference)
    assert graph.graph[g.TOTAL_PARAMS] == sum(p.numel() for p in model.parameters())
