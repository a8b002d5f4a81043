"""A small model file (convolutions, a residual addition, a linear layer) whose second
convolution's kernel size and padding the diff tests edit."""
from __future__ import annotations

import textwrap
from pathlib import Path

NET = textwrap.dedent("""
    import torch
    from torch import nn

    class Net(nn.Module):
        input_shape = (1, 3, 32, 32)

        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 8, KERNEL, padding=PADDING)
            self.conv3 = nn.Conv2d(8, 8, 3, padding=1)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(8, 10)

        def forward(self, x):
            x = torch.relu(self.conv1(x))
            y = torch.relu(self.conv2(x))
            y = y + self.conv3(y)
            return self.fc(torch.flatten(self.pool(y), 1))
""")


def write_net(folder: Path, kernel: int, padding: int) -> Path:
    """``net_K_P.py`` in ``folder``, its ``conv2`` a K×K convolution with padding P."""
    path = folder / f"net_{kernel}_{padding}.py"
    path.write_text(NET.replace("KERNEL", str(kernel)).replace("PADDING", str(padding)))
    return path
