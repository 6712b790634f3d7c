"""The two networks, in plain torch (no torchvision): a compact U-Net++ and a CAM classifier."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn(cin: int, cout: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class DoubleConv(nn.Sequential):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(conv_bn(cin, cout), conv_bn(cout, cout))


class UNetPlusPlus(nn.Module):
    """U-Net++ (Zhou et al. 2018): nested dense skip pathways X[i][j] between encoder and decoder.

    A stride-2 stem runs the nested grid at half the input resolution (lesion borders in dermoscopy are
    smooth, and it keeps CPU inference in a few tens of ms); the logit map is upsampled back to the input
    size and the sigmoid is part of the graph, so the ONNX output is a probability map (N, 1, H, W).
    """

    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 96, 128)) -> None:
        super().__init__()
        self.depth = len(widths)
        self.stem = conv_bn(3, widths[0], stride=2)
        self.pool = nn.MaxPool2d(2)
        nodes: dict[str, nn.Module] = {}
        for i in range(self.depth):
            nodes[f"x{i}_0"] = DoubleConv(widths[0] if i == 0 else widths[i - 1], widths[i])
        for j in range(1, self.depth):
            for i in range(self.depth - j):
                nodes[f"x{i}_{j}"] = DoubleConv(widths[i] * j + widths[i + 1], widths[i])
        self.nodes = nn.ModuleDict(nodes)
        self.head = nn.Conv2d(widths[0], 1, 1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        h = self.stem(x)
        grid: dict[tuple[int, int], torch.Tensor] = {}
        for i in range(self.depth):
            inp = h if i == 0 else self.pool(grid[(i - 1, 0)])
            grid[(i, 0)] = self.nodes[f"x{i}_0"](inp)
        for j in range(1, self.depth):
            for i in range(self.depth - j):
                below = grid[(i + 1, j - 1)]
                up = F.interpolate(below, size=grid[(i, 0)].shape[-2:], mode="bilinear", align_corners=False)
                grid[(i, j)] = self.nodes[f"x{i}_{j}"](torch.cat([grid[(i, k)] for k in range(j)] + [up], 1))
        out = self.head(grid[(0, self.depth - 1)])
        return F.interpolate(out, size=size, mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(x))


class Block(nn.Module):
    """Inverted residual (MobileNetV2-style): expand 1x1, depthwise 3x3, project 1x1, residual when it fits."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int = 4) -> None:
        super().__init__()
        mid = cin * expand
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(inplace=True),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(inplace=True),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout),
        )
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class BasicBlock(nn.Module):
    """ResNet basic block."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.b1(self.c1(x)), inplace=True)
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.short is None else self.short(x)), inplace=True)


class CamNet(nn.Module):
    """Compact ResNet; head = 1x1 conv to one map per class, then global average pooling -> logits.

    Because pooling comes after the class maps, ``class_maps`` is exactly the CAM of each class
    (logits = spatial mean of the maps), so the app draws it without gradients.
    """

    def __init__(self, num_classes: int = 7, widths: tuple[int, ...] = (32, 64, 128, 256),
                 blocks: tuple[int, ...] = (1, 2, 2, 1), strides: tuple[int, ...] = (1, 2, 2, 1),
                 dropout: float = 0.2) -> None:
        super().__init__()
        # stride-4 stem: the budget is 2 CPU cores, so the network works at 1/4 resolution from the start
        self.stem = nn.Sequential(conv_bn(3, widths[0] // 2, stride=2), conv_bn(widths[0] // 2, widths[0], stride=2))
        layers: list[nn.Module] = []
        cin = widths[0]
        for w, n, st in zip(widths, blocks, strides, strict=True):
            for b in range(n):
                layers.append(BasicBlock(cin, w, st if b == 0 else 1))
                cin = w
        self.features = nn.Sequential(*layers)
        self.drop = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Conv2d(cin, num_classes, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, maps, _ = self.forward_all(x)
        return logits, maps

    def forward_all(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits, class maps and the pooled penultimate features (N, C) (the out-of-distribution score's input)."""
        f = self.features(self.stem(x))
        maps = self.head(self.drop(f))
        return maps.mean(dim=(2, 3)), maps, f.mean(dim=(2, 3))


TTA_VIEWS = {"none": 1, "flip4": 4, "dihedral8": 8}


class ExportWrapper(nn.Module):
    """What goes into the classifier ONNX: an ensemble of CamNets and test-time augmentation in the graph.

    ``tta``: "none", "flip4" (the image and its horizontal, vertical and double flips) or "dihedral8"
    (those four and their transposes = all 90-degree rotations and mirrors). All views of all members
    run as one batch; logits are averaged and each class map is mapped back to the image's orientation
    before averaging, so the outputs keep their meaning and shapes (logits = spatial mean of the maps).
    """

    def __init__(self, nets: list[CamNet], tta: str = "flip4", features: bool = False) -> None:
        super().__init__()
        self.nets = nn.ModuleList(nets)
        self.tta = tta
        self.with_features = features  # third output: pooled penultimate features (members concatenated)
        if tta not in TTA_VIEWS:
            raise ValueError(f"unknown test-time augmentation {tta!r}")

    @staticmethod
    def _flips(x: torch.Tensor) -> list[torch.Tensor]:
        return [x, x.flip(3), x.flip(2), x.flip(2).flip(3)]

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        n = TTA_VIEWS[self.tta]
        views = self._flips(image) if n > 1 else [image]
        if n == 8:
            views = views + [v.transpose(2, 3) for v in views]
        batch = torch.cat(views, 0)
        logits_sum, maps_sum, feats_all = None, None, []
        for net in self.nets:
            logits, maps, feats = net.forward_all(batch)
            feats_all.append(feats.reshape(n, -1, feats.shape[1]).mean(0))  # averaged over the views
            # reshape (not split) keeps the batch size dynamic in the exported graph
            logits = logits.reshape(n, -1, logits.shape[1]).mean(0)
            m = maps.reshape(n, -1, *maps.shape[1:])
            back = [m[i] for i in range(min(n, 4))]
            if n > 1:
                back = self._flips_back(back)
            if n == 8:
                back += self._flips_back([m[4 + i].transpose(2, 3) for i in range(4)])
            maps = torch.stack(back).mean(0)
            logits_sum = logits if logits_sum is None else logits_sum + logits
            maps_sum = maps if maps_sum is None else maps_sum + maps
        k = float(len(self.nets))
        if self.with_features:
            return logits_sum / k, maps_sum / k, torch.cat(feats_all, 1)
        return logits_sum / k, maps_sum / k

    @staticmethod
    def _flips_back(m: list[torch.Tensor]) -> list[torch.Tensor]:
        return [m[0], m[1].flip(3), m[2].flip(2), m[3].flip(2).flip(3)]
