"""The Depthy network: ResNet-50 encoder → ASPP → Pixel-Shuffle decoder blocks with squeeze-and-
excitation, fed by encoder skips refined by EESP-style blocks → 3×3 head → bilinear upsample.

Outputs two channels at the input size: nearness (larger = nearer, trained on [0, 1] over the figure)
and the figure-mask logit. Parameter names of the encoder follow torchvision's resnet50, so ImageNet
weights load into `encoder` unchanged where a user has them.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)
OUTPUT_STRIDE = 2   # the head answers at half the input size; the forward pass upsamples by this


def conv_bn_relu(cin, cout, k, dilation=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, padding=dilation * (k // 2), dilation=dilation, bias=False),
        nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


# ---- encoder: ResNet-50 with torchvision's parameter names -------------------------------------------

class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride=1):
        super().__init__()
        cout = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet50Encoder(nn.Module):
    """Features at strides 2, 4, 8, 16, 32 with 64, 256, 512, 1024, 2048 channels."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._layer(64, 64, 3, 1)
        self.layer2 = self._layer(256, 128, 4, 2)
        self.layer3 = self._layer(512, 256, 6, 2)
        self.layer4 = self._layer(1024, 512, 3, 2)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, Bottleneck):
                nn.init.zeros_(m.bn3.weight)   # each residual block starts as identity: trains from scratch

    @staticmethod
    def _layer(cin, width, blocks, stride):
        layers = [Bottleneck(cin, width, stride)]
        layers += [Bottleneck(width * 4, width) for _ in range(blocks - 1)]
        return nn.Sequential(*layers)

    def forward(self, x):
        s2 = self.relu(self.bn1(self.conv1(x)))
        s4 = self.layer1(self.maxpool(s2))
        s8 = self.layer2(s4)
        s16 = self.layer3(s8)
        s32 = self.layer4(s16)
        return s2, s4, s8, s16, s32


# ---- context and decoder -------------------------------------------------------------------------

class ASPP(nn.Module):
    """Atrous spatial pyramid pooling (rates 1, 6, 12, 18 + image pooling) on reduced channels."""

    def __init__(self, cin=2048, reduced=256, branch=128, cout=256, rates=(6, 12, 18)):
        super().__init__()
        self.reduce = conv_bn_relu(cin, reduced, 1)
        self.branches = nn.ModuleList([conv_bn_relu(reduced, branch, 1)] +
                                      [conv_bn_relu(reduced, branch, 3, dilation=r) for r in rates])
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(reduced, branch, 1, bias=False), nn.ReLU(inplace=True))
        self.fuse = conv_bn_relu(branch * (len(rates) + 2), cout, 1)

    def forward(self, x):
        x = self.reduce(x)
        outs = [b(x) for b in self.branches]
        outs.append(self.pool(x).expand(-1, -1, x.shape[2], x.shape[3]))
        return self.fuse(torch.cat(outs, 1))


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduction=8):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, max(4, channels // reduction), 1)
        self.fc2 = nn.Conv2d(max(4, channels // reduction), channels, 1)

    def forward(self, x):
        w = torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        return x * w


class PixelShuffleBlock(nn.Module):
    """conv → PixelShuffle(2) → BN + ReLU → channel attention: doubles resolution."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout * 4, 3, padding=1, bias=False)
        self.shuffle = nn.PixelShuffle(2)
        self.bn = nn.BatchNorm2d(cout)
        self.se = SqueezeExcite(cout)

    def forward(self, x):
        return self.se(F.relu(self.bn(self.shuffle(self.conv(x)))))


class EESP(nn.Module):
    """Skip refinement in the style of ESPNetv2's EESP: reduce, parallel depth-wise dilated 3×3
    branches merged hierarchically, expand, residual."""

    def __init__(self, cin, cout, branches=4):
        super().__init__()
        mid = max(branches, (cout // branches) * branches) // branches
        self.reduce = conv_bn_relu(cin, mid, 1)
        self.branches = nn.ModuleList(nn.Conv2d(mid, mid, 3, padding=2 ** k, dilation=2 ** k, groups=mid, bias=False)
                                      for k in range(branches))
        self.merge = nn.Sequential(nn.BatchNorm2d(mid * branches), nn.PReLU(mid * branches),
                                   nn.Conv2d(mid * branches, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.act = nn.PReLU(cout)

    def forward(self, x):
        r = self.reduce(x)
        outs, acc = [], None
        for branch in self.branches:
            y = branch(r)
            acc = y if acc is None else acc + y      # hierarchical feature fusion
            outs.append(acc)
        return self.act(self.merge(torch.cat(outs, 1)) + self.shortcut(x))


class DecoderStage(nn.Module):
    def __init__(self, cin, skip_in, cout):
        super().__init__()
        self.up = PixelShuffleBlock(cin, cout)
        self.skip = EESP(skip_in, cout) if skip_in else None
        self.fuse = conv_bn_relu(cout * 2 if skip_in else cout, cout, 3)

    def forward(self, x, skip=None):
        x = self.up(x)
        if self.skip is not None:
            x = torch.cat([x, self.skip(skip)], 1)
        return self.fuse(x)


class Depthy(nn.Module):
    def __init__(self, widths=(256, 160, 96, 64, 32)):
        super().__init__()
        self.encoder = ResNet50Encoder()
        self.aspp = ASPP(cout=widths[0])
        self.up16 = DecoderStage(widths[0], 1024, widths[1])
        self.up8 = DecoderStage(widths[1], 512, widths[2])
        self.up4 = DecoderStage(widths[2], 256, widths[3])
        self.up2 = DecoderStage(widths[3], 64, widths[4])
        self.head = nn.Conv2d(widths[4], 2, 3, padding=1)
        self.register_buffer("mean", torch.tensor(IMAGE_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGE_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        """rgb (B, 3, H, W) in [0, 1], any H, W → (B, 2, H, W): nearness, mask logit."""
        h, w = rgb.shape[-2:]
        pad_h, pad_w = (-h) % 32, (-w) % 32
        x = (rgb - self.mean) / self.std
        if pad_h or pad_w:   # replicate the paper at the border so padding looks like more paper
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        s2, s4, s8, s16, s32 = self.encoder(x)
        y = self.aspp(s32)
        y = self.up16(y, s16)
        y = self.up8(y, s8)
        y = self.up4(y, s4)
        y = self.up2(y, s2)
        y = self.head(y)
        y = F.interpolate(y, scale_factor=OUTPUT_STRIDE, mode="bilinear", align_corners=False)
        return y[..., :h, :w]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
