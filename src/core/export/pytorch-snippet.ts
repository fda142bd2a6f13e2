/** The PyTorch code shown by the export dialog (pure text: the page imports it without tfjs). */
/**
 * Self-contained Python that loads any exported `model.safetensors` — the small ConvNet or a CIFAR ResNet (8/20/32),
 * linear or cosine head — and classifies uint8 images exactly as the app preprocesses them. The ResNets follow the
 * structure of the authors' `ResNet_s` (`models/resnet_cifar.py` of the LDAM-DRW / GCL code: BasicBlocks with the
 * parameter-free option-A shortcut, `NormedLinear` storing its weight as [in, out]), so the state-dict keys are
 * theirs and `resnet32` = `ResNet_s(BasicBlock, [5, 5, 5])`. The classes are written here (not copied); the test
 * suite runs this text verbatim for ConvNet, ResNet-8 and ResNet-32 with both heads.
 */
export const PYTORCH_SNIPPET = `# pip install torch safetensors  — loads a Long-Tail Playground model.safetensors (any model, either head)
import json
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file


class NormedLinear(nn.Module):
    """Cosine head: normalize(f) . normalize(W, dim=0), W stored [in_features, out_features] (as the authors)."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))

    def forward(self, x):
        return F.normalize(x, dim=1) @ F.normalize(self.weight, dim=0)


def make_head(kind, features, classes):
    return NormedLinear(features, classes) if kind == "cosine" else nn.Linear(features, classes)


class OptionA(nn.Module):
    """Parameter-free shortcut: every second pixel, zero channels added on both sides."""

    def __init__(self, extra):
        super().__init__()
        self.extra = extra

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.extra, self.extra))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = OptionA(cout // 4) if stride != 1 or cin != cout else nn.Sequential()

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + self.shortcut(x))


class ResNet_s(nn.Module):
    """CIFAR ResNet (stages of 16/32/64 channels); num_blocks [5, 5, 5] is resnet32, [1, 1, 1] ResNet-8."""

    def __init__(self, num_blocks, num_classes=10, head="linear", in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        cin = 16
        for stage, (width, n) in enumerate(zip([16, 32, 64], num_blocks)):
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(cin, width, 2 if stage > 0 and i == 0 else 1))
                cin = width
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
        self.linear = make_head(head, 64, num_classes)

    def features(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return x.mean((2, 3))

    def forward(self, x):
        return self.linear(self.features(x))


class ConvNet(nn.Module):
    """The app's small ConvNet: 3x (conv3x3 + BN + ReLU), 2x2 max-pool after the first two, global average pool."""

    def __init__(self, num_classes=10, head="linear", in_channels=3):
        super().__init__()
        cin = in_channels
        for i, width in enumerate([16, 32, 64], start=1):
            setattr(self, f"conv{i}", nn.Conv2d(cin, width, 3, 1, 1, bias=False))
            setattr(self, f"bn{i}", nn.BatchNorm2d(width))
            cin = width
        self.linear = make_head(head, 64, num_classes)

    def features(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return F.relu(self.bn3(self.conv3(x))).mean((2, 3))

    def forward(self, x):
        return self.linear(self.features(x))


path = "model.safetensors"
with open(path, "rb") as fh:  # the app's metadata is in the file's JSON header
    meta = json.loads(fh.read(int.from_bytes(fh.read(8), "little")))["__metadata__"]
kwargs = dict(num_classes=int(meta["num_classes"]), head=meta["head"], in_channels=int(meta["in_channels"]))
if meta["model"] == "convnet":
    model = ConvNet(**kwargs)
else:
    model = ResNet_s(json.loads(meta["num_blocks"]), **kwargs)
model.load_state_dict(load_file(path), strict=True)
model.eval()
mean = torch.tensor(json.loads(meta["mean"])).view(1, -1, 1, 1)
std = torch.tensor(json.loads(meta["std"])).view(1, -1, 1, 1)


def predict(images):
    """uint8 images [N, H, W, C] -> outputs [N, classes] (cosine similarities for the cosine head)."""
    x = torch.as_tensor(images).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        return model((x - mean) / std)
`;
