#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`: the same models and the same training step as tools/bench/step.ts.

Models: the project's small ConvNet (3 x (conv3x3 + BN + ReLU), 2x2 max-pool after the first two, GAP) and the CIFAR
ResNet_s (conv1 16, 3 stages of BasicBlocks with option-A shortcuts, BN, GAP; ResNet-8 = 1 block per stage,
ResNet-32 = 5). Loss 'ce': linear head + softmax cross-entropy. Loss 'gcl': cosine head (normalised features x
normalised columns) + GCL stage 1 (cos - noiseMul*|eps|*d_hat, eps ~ N(0, 1/3) clipped to [-1, 1], times s = 30,
then CE) with the CIFAR-10-LT IF-100 counts. One step: forward, loss, backward, SGD (lr 0.1, momentum 0.9,
weight decay 2e-4), loss.item().

  python3 tools/bench/torch_step.py --configs '[{"model":"resnet8","batch":64,"input":[28,28,1],"loss":"ce","steps":10,"warmup":3}]'

prints one JSON list (one object per config) on stdout. CUDA is used when available unless --device cpu.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LT_COUNTS = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = (cout - cin) // 2 if (stride != 1 or cin != cout) else None

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        o = self.bn2(self.conv2(o))
        sc = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(o + sc)


class CosineHead(nn.Module):
    def __init__(self, d, c):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(d, c).uniform_(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5))

    def forward(self, f):
        return F.normalize(f, dim=1) @ F.normalize(self.weight, dim=0)


class Net(nn.Module):
    def __init__(self, kind, in_ch, head, num_classes=10):
        super().__init__()
        if kind == 'convnet':
            layers, c = [], in_ch
            for i, w in enumerate([16, 32, 64]):
                layers += [nn.Conv2d(c, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
                if i < 2:
                    layers.append(nn.MaxPool2d(2))
                c = w
            self.body = nn.Sequential(*layers)
        else:
            blocks = {'resnet8': 1, 'resnet20': 3, 'resnet32': 5}[kind]
            layers = [nn.Conv2d(in_ch, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
            cin = 16
            for stage, w in enumerate([16, 32, 64]):
                for b in range(blocks):
                    layers.append(Block(cin, w, 2 if stage > 0 and b == 0 else 1))
                    cin = w
            self.body = nn.Sequential(*layers)
        self.head = nn.Linear(64, num_classes) if head == 'linear' else CosineHead(64, num_classes)

    def forward(self, x):
        return self.head(self.body(x).mean((2, 3)))


def gcl_loss(cos, y, d_hat, s=30.0, noise_mul=0.5):
    eps = (torch.randn_like(cos) / 3).clamp_(-1, 1).abs_()
    return F.cross_entropy(s * (cos - noise_mul * eps * d_hat), y)


def bench(cfg, device):
    h, w, c = cfg['input']
    loss = cfg.get('loss', 'ce')
    torch.manual_seed(0)
    tf32 = bool(cfg.get('tf32', False))
    if device.type == 'cuda':
        # fp32 tensors; TF32 tensor-core matmuls / convolutions only when asked
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
    model = Net(cfg['model'], c, 'linear' if loss == 'ce' else 'cosine').to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=2e-4)
    b = cfg['batch']
    x = torch.randn(b, c, h, w, device=device)
    y = (torch.arange(b) % 10).to(device)
    lg = [math.log(max(LT_COUNTS)) - math.log(n) for n in LT_COUNTS]
    d_hat = torch.tensor([v / max(lg) for v in lg], device=device)

    def step():
        opt.zero_grad(set_to_none=True)
        out = model(x)
        l = F.cross_entropy(out, y) if loss == 'ce' else gcl_loss(out, y, d_hat)
        l.backward()
        opt.step()
        return l.item()

    t0 = time.perf_counter()
    first_loss = step()
    first = (time.perf_counter() - t0) * 1e3
    for _ in range(cfg.get('warmup', 3)):
        step()
    times = []
    budget = cfg.get('budgetMs')
    start = time.perf_counter()
    last_loss = first_loss
    for _ in range(cfg.get('steps', 10)):
        t = time.perf_counter()
        last_loss = step()
        times.append((time.perf_counter() - t) * 1e3)
        if budget is not None and (time.perf_counter() - start) * 1e3 > budget:
            break
    med = statistics.median(times)
    return {
        'model': cfg['model'], 'batch': b, 'input': cfg['input'], 'loss': loss,
        'framework': 'pytorch', 'torch': torch.__version__, 'device': str(device),
        'deviceName': torch.cuda.get_device_name(0) if device.type == 'cuda' else 'cpu',
        'threads': torch.get_num_threads(), 'tf32': tf32 and device.type == 'cuda', 'firstStepMs': first, 'medianMs': med,
        'imgPerSec': b / med * 1e3, 'stepsMs': times, 'firstLoss': first_loss, 'lastLoss': last_loss,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--configs', help='JSON list of {model, batch, input:[H,W,C], loss, steps, warmup, tf32}')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--device', default='auto')
    # single-config form (the first bench's interface)
    p.add_argument('--model', default='resnet8')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--size', type=int, default=28)
    p.add_argument('--channels', type=int, default=1)
    p.add_argument('--loss', default='ce')
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.device == 'auto':
        device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    else:
        device = torch.device(a.device)
    if a.configs:
        cfgs = json.loads(a.configs)
        out = []
        for cfg in cfgs:
            try:
                out.append(bench(cfg, device))
            except Exception as e:  # report, keep going
                out.append({**cfg, 'error': repr(e)})
        print(json.dumps(out))
    else:
        print(json.dumps(bench({'model': a.model, 'batch': a.batch, 'input': [a.size, a.size, a.channels],
                                'loss': a.loss, 'steps': a.steps, 'warmup': a.warmup}, device)))


if __name__ == '__main__':
    main()
