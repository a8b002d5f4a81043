"""A generated deep model for the scale benchmarks: about 10,000 operations, residual, with a
branch-and-concatenate block every few blocks.

Open it in the app with ``cnnviz --model bench/deep_model.py:DeepNet --trust``; its input is
small (1×8×16×16) so that tracing stays quick.
"""
from __future__ import annotations

import torch
from torch import nn

WIDTH = 8


class Residual(nn.Module):
    """conv-bn-relu-conv-bn, plus the input, then relu: 8 operations."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(WIDTH, WIDTH, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(WIDTH)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(WIDTH, WIDTH, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(WIDTH)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(x + y)


class Branches(nn.Module):
    """Four branches (1×1; 1×1→3×3; 1×1→5×5; pool→1×1) concatenated: 11 operations."""

    def __init__(self) -> None:
        super().__init__()
        quarter = WIDTH // 4
        self.b1 = nn.Conv2d(WIDTH, quarter, 1)
        self.b2 = nn.Sequential(nn.Conv2d(WIDTH, quarter, 1), nn.Conv2d(quarter, quarter, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(WIDTH, quarter, 1), nn.Conv2d(quarter, quarter, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(WIDTH, quarter, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class Stage(nn.Module):
    """Residual blocks with a branch block after every ``every`` of them."""

    def __init__(self, blocks: int, every: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for index in range(blocks):
            layers.append(Residual())
            if index % every == every - 1:
                layers.append(Branches())
        self.blocks = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class DeepNet(nn.Module):
    """A stem, ``stages`` stages of residual and branch blocks, and a classifier."""

    input_shape = (1, WIDTH, 16, 16)

    def __init__(self, stages: int = 10, blocks: int = 104) -> None:
        super().__init__()
        self.stem = nn.Conv2d(WIDTH, WIDTH, 3, padding=1)
        self.stages = nn.Sequential(*[Stage(blocks) for _ in range(stages)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(WIDTH, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))
