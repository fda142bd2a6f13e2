"""PyTorch reference for the parity test (test/core/models/parity.test.ts).

A CIFAR ResNet_s as in Cao et al.'s LDAM-DRW `resnet32` definition (3x3 conv 16 + BN + ReLU, 3 stages of
BasicBlocks with option-A shortcuts, global average pool, cosine or linear head), written for this test.

Usage: python3 torch_resnet_s.py IN.json OUT.json
IN: {blocks, head, num_classes, in_ch, x: {shape [B,H,W,C], data}, coef: {shape [B,C], data},
     weights: {name: {shape (tfjs layout), data}}}
OUT: train-mode features/output and gradients of sum(output*coef) (tfjs layout), running stats after that
     forward, eval-mode features/output afterwards.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class NormedLinear(nn.Module):
    def __init__(self, d, c):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(d, c))

    def forward(self, x):
        return F.normalize(x, dim=1).mm(F.normalize(self.weight, dim=0))


class OptionA(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.p = planes // 4

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.p, self.p), "constant", 0)


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = OptionA(planes) if (stride != 1 or in_planes != planes) else nn.Sequential()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetS(nn.Module):
    def __init__(self, n, num_classes, in_ch, head):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        c = 16
        for s, planes in enumerate([16, 32, 64]):
            blocks = []
            for i in range(n):
                stride = 2 if (s > 0 and i == 0) else 1
                blocks.append(BasicBlock(c, planes, stride))
                c = planes
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.linear = NormedLinear(64, num_classes) if head == "cosine" else nn.Linear(64, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        f = out.mean((2, 3))  # = F.avg_pool2d(out, out.size()[3]) for square maps
        return f, self.linear(f)


def to_torch(name, shape, data, head):
    t = torch.tensor(data, dtype=torch.float32).reshape(shape)
    if len(shape) == 4:  # conv [kh, kw, in, out] -> [out, in, kh, kw]
        return t.permute(3, 2, 0, 1).contiguous()
    if name == "linear.weight" and head == "linear":  # [D, C] -> nn.Linear [C, D]
        return t.t().contiguous()
    return t


def to_tfjs(name, t, head):
    if t.dim() == 4:
        t = t.permute(2, 3, 1, 0)
    elif name == "linear.weight" and head == "linear":
        t = t.t()
    return t.contiguous().reshape(-1).tolist()


def main():
    inp = json.load(open(sys.argv[1]))
    torch.manual_seed(0)
    head = inp["head"]
    model = ResNetS(inp["blocks"], inp["num_classes"], inp["in_ch"], head)
    sd = model.state_dict()
    new_sd = {}
    for name, v in sd.items():
        if name.endswith("num_batches_tracked"):
            new_sd[name] = v
            continue
        w = inp["weights"][name]
        new_sd[name] = to_torch(name, w["shape"], w["data"], head).to(v.dtype)
    model.load_state_dict(new_sd)
    x = torch.tensor(inp["x"]["data"], dtype=torch.float32).reshape(inp["x"]["shape"]).permute(0, 3, 1, 2).contiguous()
    coef = torch.tensor(inp["coef"]["data"], dtype=torch.float32).reshape(inp["coef"]["shape"])

    model.train()
    f, o = model(x)
    loss = (o * coef).sum()
    loss.backward()
    out = {
        "train_features": f.detach().reshape(-1).tolist(),
        "train_output": o.detach().reshape(-1).tolist(),
        "grads": {n: to_tfjs(n, p.grad, head) for n, p in model.named_parameters()},
        "buffers": {n: b.reshape(-1).tolist() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")},
    }
    model.eval()
    with torch.no_grad():
        f, o = model(x)
    out["eval_features"] = f.reshape(-1).tolist()
    out["eval_output"] = o.reshape(-1).tolist()
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
