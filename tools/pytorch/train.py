#!/usr/bin/env python3
"""Long-Tail Playground run bundle in PyTorch: the app's models and losses, and the run's training loop.

  python3 train.py BUNDLE_DIR [--reproduce | --continue | --full] [--epochs N] [--seeds LIST] [--data-root DIR]
                   [--device cpu|cuda|mps] [--out FILE.json]
  torchrun --nproc-per-node N train.py BUNDLE_DIR ...      (torch < 2: --nproc_per_node N)

A bundle (written by `npm run train -- ... --save-bundle DIR`) holds run.json (config, loss hyperparameters,
schedule, seed, class names and counts, data set id, subset and init hashes, the random-stream states at the end),
indices.json (training- and test-subset indices into the official data files' order), steps.json (each training
step's subset positions, augmentation draws, lr, GCL noise and the app's loss), init.safetensors,
model.safetensors and momentum.safetensors.

The bundle's own modes check the subset hash against the official files and the hash of init.safetensors'
tensor data before they train. Needs only torch; safetensors is read and written by the codec below. Fashion-MNIST
is read from the official IDX .gz files (default data root /usr/share/datasets/fashion-mnist), CIFAR-10/100 from
the official binary files (the extracted cifar-10-batches-bin/ or cifar-100-binary/ folder). An uploaded image
folder's bundle carries its decoded pixels (data.safetensors) and the file names (indices.json "files"): it needs
no data root; with --data-root the files are decoded here with PIL and resized as the app does (a decoder's pixels,
JPEG above all, may differ slightly from the browser's).
"""
import argparse
import gzip
import hashlib
import json
import math
import os
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.distributed.nn as dist_nn
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------------- safetensors

_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def load_safetensors(path):
    """(tensors by name, metadata) of a safetensors file: u64 LE header length, JSON header, raw LE data."""
    with open(path, "rb") as fh:
        blob = fh.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    data = blob[8 + n :]
    meta = header.pop("__metadata__", {}) or {}
    out = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dtype = _DTYPES[e["dtype"]]
        raw = bytearray(data[begin:end])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(e["shape"]).clone(memory_format=torch.contiguous_format)
    return out, meta


def tensor_data_hash(path):
    """sha256 of a safetensors file's tensor bytes (after the header, whose metadata holds a time stamp)."""
    with open(path, "rb") as fh:
        blob = fh.read()
    (n,) = struct.unpack("<Q", blob[:8])
    return hashlib.sha256(blob[8 + n :]).hexdigest()


def save_safetensors(path, tensors, metadata=None):
    """Writes tensors (name -> tensor) through a temporary file, so a reader never sees half a file."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        raw = t.numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-(8 + len(head)) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as fh:
        fh.write(struct.pack("<Q", len(head)))
        fh.write(head)
        for c in chunks:
            fh.write(c)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------------------- models
# State-dict names and layouts are the authors' ResNet_s ones (models/resnet_cifar.py of the LDAM-DRW / GCL code).


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


RESNET_BLOCKS = {"resnet8": [1, 1, 1], "resnet20": [3, 3, 3], "resnet32": [5, 5, 5]}


def build_model(kind, head, num_classes, in_channels):
    if kind == "convnet":
        return ConvNet(num_classes, head, in_channels)
    if kind not in RESNET_BLOCKS:
        raise SystemExit(f"unknown model '{kind}' (known: convnet, {', '.join(RESNET_BLOCKS)})")
    return ResNet_s(RESNET_BLOCKS[kind], num_classes, head, in_channels)


# ------------------------------------------------------------------------------------------- per-class vectors
# Computed from the counts (never from the class order), in float64, as the app's src/core/losses/perclass.ts.


def _check_counts(counts, who):
    if not counts:
        raise ValueError(f"{who}: class counts are missing")
    for c, n in enumerate(counts):
        if not (n >= 1):
            raise ValueError(f"{who}: class {c} has {n} training samples; every class needs at least one")


def log_gap_normalized(counts, who):
    _check_counts(counts, who)
    top = math.log(max(counts))
    d = [top - math.log(n) for n in counts]
    if not max(d) > 0:
        raise ValueError(f"{who}: all classes have the same training count, so d_c / max d is undefined")
    return [v / max(d) for v in d]


def count_rank_order(counts):
    return sorted(range(len(counts)), key=lambda i: (-counts[i], i))


def mirror_by_count_rank(v, counts):
    order = count_rank_order(counts)
    out = [0.0] * len(counts)
    for r in range(len(counts)):
        out[order[r]] = v[order[len(counts) - 1 - r]]
    return out


def kps_scale(counts, who="KPS"):
    _check_counts(counts, who)
    raw = [math.log(50 * n / min(counts)) for n in counts]
    return [v / min(raw) for v in raw]


def kps_margin(counts, max_m, who="KPS"):
    m = mirror_by_count_rank(kps_scale(counts, who), counts)
    return [max_m * v / max(m) for v in m]


def kps_ga_scale(counts, s, who="KPS"):
    m = mirror_by_count_rank(kps_scale(counts, who), counts)
    return [min(max(s * v, s), max(s, 50)) for v in m]


def ldam_margin(counts, max_m, who="LDAM"):
    _check_counts(counts, who)
    raw = [1 / math.sqrt(math.sqrt(n)) for n in counts]
    return [max_m * v / max(raw) for v in raw]


def class_balanced_weights(counts, beta, who="class-balanced weights"):
    _check_counts(counts, who)
    raw = [(1 - beta) / (1 - beta**n) for n in counts]
    return [v * len(counts) / sum(raw) for v in raw]


def cben_class_prob(counts):
    """CBEN sampler: P(class c) ∝ n_c·w_c, w_c = (1−β_c)/(1−β_c^{n_c}), β_c = 0.9999 + 1e-5·δ_c."""
    lo, hi = math.log(min(counts)), math.log(max(counts))
    delta = [(hi - math.log(n)) / (hi - lo) if hi > lo else 0.0 for n in counts]
    w = []
    for n, d in zip(counts, delta):
        f32 = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
        b = float(f32(0.9999) + f32(1e-5) * f32(d))  # β held in float32, as the authors' tensor; w in float64
        w.append((1 - b) / (1 - b**n))
    mass = [n * x for n, x in zip(counts, w)]
    return [m / sum(mass) for m in mass], w


# ------------------------------------------------------------------------------------------- losses (logit form)
# ℓ_bc = S_b·(A_c·o_bc − amp_c·|ε_bc| − M_c·[c=y_b]) + bias_c − K_c/(‖f_b‖+1e-12);  S_b = sampleScale[y_b]
# L = Σ w_y·φ_b·nll_b / Σ w_y, φ_b = (1 − p_b)^γ with p_b = exp(−nll_b) held constant.

LOSS_DEFAULTS = {
    "ce": {"scale": 30},
    "ldam": {"maxM": 0.5, "s": 30, "beta": 0.9999},
    "balancedSoftmax": {"scale": 30},
    "logitAdjust": {"tau": 1, "scale": 30},
    "cbce": {"beta": 0.9999, "scale": 30},
    "kps": {"maxM": 0.2, "s": 15, "ga": 1},
    "fbl": {"A": 60},
    "gcl": {"s": 30, "m": 0, "noiseMul": 0.5, "focalGamma": 0},
}


def logit_form(loss, params, counts, head="linear", alpha=0.0, ga_active=False, drw_active=False):
    """Per-class numbers of the loss `loss` (the app's ids) with hyperparameters `params` (defaults filled in)."""
    if loss not in LOSS_DEFAULTS:
        raise ValueError(f"unknown loss '{loss}' (known: {', '.join(LOSS_DEFAULTS)})")
    p = {**LOSS_DEFAULTS[loss], **(params or {})}
    C = len(counts)
    _check_counts(counts, loss)
    head_scale = p.get("scale", 30) if head == "cosine" else 1.0
    f = {
        "outScale": [1.0] * C,
        "sampleScale": [float(head_scale)] * C,
        "noiseAmp": [0.0] * C,
        "targetMargin": [0.0] * C,
        "logitBias": [0.0] * C,
        "featureStimulus": [0.0] * C,
        "classWeight": None,
        "focalGamma": 0.0,
        "usesNoise": False,
    }
    if loss == "ldam":
        f["sampleScale"] = [float(p["s"])] * C
        f["targetMargin"] = ldam_margin(counts, p["maxM"])
        if drw_active:
            f["classWeight"] = class_balanced_weights(counts, p["beta"], "LDAM (DRW weights)")
    elif loss == "balancedSoftmax":
        f["logitBias"] = [math.log(n) for n in counts]
    elif loss == "logitAdjust":
        N = sum(counts)
        f["logitBias"] = [p["tau"] * math.log(n / N) for n in counts]
    elif loss == "cbce":
        f["classWeight"] = class_balanced_weights(counts, p["beta"], "CB-CE")
    elif loss == "kps":
        f["sampleScale"] = kps_ga_scale(counts, p["s"]) if (p["ga"] >= 0.5 and ga_active) else [float(p["s"])] * C
        f["outScale"] = kps_scale(counts)
        f["targetMargin"] = kps_margin(counts, p["maxM"])
    elif loss == "fbl":
        f["sampleScale"] = [1.0] * C
        k = alpha * p["A"]
        if k != 0:
            f["featureStimulus"] = [k * d for d in log_gap_normalized(counts, "FBL")]
    elif loss == "gcl":
        f["sampleScale"] = [float(p["s"])] * C
        f["noiseAmp"] = [p["noiseMul"] * d for d in log_gap_normalized(counts, "GCL")]
        f["targetMargin"] = [float(p["m"])] * C
        f["focalGamma"] = float(p["focalGamma"])
        f["usesNoise"] = True
    return f


def form_loss(form, output, labels, features=None, noise=None):
    """The batch loss of `form` on the classifier output [B, C] (features [B, D] for FBL, noise ε before |·|)."""
    dt, dev = output.dtype, output.device
    vec = lambda k: torch.tensor(form[k], dtype=dt, device=dev)  # noqa: E731
    C = output.shape[1]
    onehot = F.one_hot(labels, C).to(dt)
    inner = vec("outScale") * output - onehot * vec("targetMargin")
    if form["usesNoise"]:
        if noise is None:
            raise ValueError("this loss needs a GCL noise draw")
        inner = inner - vec("noiseAmp") * noise.abs()
    logits = vec("sampleScale")[labels].unsqueeze(1) * inner + vec("logitBias")
    if any(form["featureStimulus"]):
        norm = torch.sqrt((features * features).sum(1, keepdim=True) + 1e-24)
        logits = logits - vec("featureStimulus") / (norm + 1e-12)
    nll = F.cross_entropy(logits, labels, reduction="none")
    if form["focalGamma"]:
        nll = (1 - torch.exp(-nll)).detach() ** form["focalGamma"] * nll
    if form["classWeight"] is None:
        return nll.mean()
    w = vec("classWeight")[labels]
    return (w * nll).sum() / w.sum()


def form_terms(form, output, labels, features=None, noise=None):
    """(Σ w_y·φ·nll, Σ w_y) of a batch: the two sums a data-parallel step reduces over the processes."""
    C = output.shape[1]
    one = dict(form, classWeight=form["classWeight"] or [1.0] * C, focalGamma=form["focalGamma"])
    w = torch.tensor(one["classWeight"], dtype=output.dtype, device=output.device)[labels]
    # the per-sample terms: a weighted "mean" over a batch of one sample each
    nll = torch.stack([form_loss(dict(one, classWeight=None), output[i : i + 1], labels[i : i + 1],
                                 None if features is None else features[i : i + 1],
                                 None if noise is None else noise[i : i + 1]) for i in range(len(labels))])
    return (w * nll).sum(), w.sum()


# ---------------------------------------------------------------------------------------------- data parallel
# Under torchrun every process draws the same global batch (same streams, same sampler) and takes every W-th image
# of it; BatchNorm statistics are reduced over the processes, and the loss is Σ over the processes of the local sums
# divided by the global weight sum, so a step equals the single-process step on the whole batch.


def sync_bn_forward(bn, x):
    if not bn.training:
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)
    C = x.shape[1]
    n_local = torch.tensor([x.numel() / C], dtype=x.dtype, device=x.device)
    stats = dist_nn.all_reduce(torch.cat([x.sum((0, 2, 3)), n_local]))
    n = stats[-1]
    mean = stats[:C] / n
    d = x - mean.view(1, -1, 1, 1)  # two passes: as accurate as the single-process statistics
    var = dist_nn.all_reduce((d * d).sum((0, 2, 3))) / n
    with torch.no_grad():
        bn.running_mean.mul_(1 - bn.momentum).add_(bn.momentum * mean.detach())
        bn.running_var.mul_(1 - bn.momentum).add_(bn.momentum * var.detach() * n / (n - 1))
        bn.num_batches_tracked += 1
    xh = d / torch.sqrt(var.view(1, -1, 1, 1) + bn.eps)
    return xh * bn.weight.view(1, -1, 1, 1) + bn.bias.view(1, -1, 1, 1)


class FeaturesAndOutput(nn.Module):
    """The model as DistributedDataParallel wraps it: forward gives (pooled features, classifier output)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        f = self.net.features(x)
        return f, self.net.linear(f)


# ------------------------------------------------------------------------------------------------- schedules


def stage1_lr(epoch, T, base, schedule, warmup=True):
    """Learning rate at (fractional) epoch t of T: warm-up over the first 5/200 of the run, steps at 160 and 180."""
    frac = lambda at: at * T / 200  # noqa: E731
    E = epoch + 1
    lr = base * E / frac(5) if warmup and E <= frac(5) else base
    if schedule == "constant":
        return lr
    f1, f2 = (0.1, 0.01) if schedule == "step01" else (0.01, 0.0001)
    if epoch >= frac(180):
        return base * f2
    if epoch >= frac(160):
        return base * f1
    return lr


AUTO_SCHEDULE = {"kps": "step01", "gcl": "step01"}
# the app's STAGE2_DEFAULTS (src/core/train/config.ts)
STAGE2_DEFAULTS = {"epochs": 30, "sampler": "cben", "lrMax": 0.1, "s": 20, "m": 0.1, "noiseMul": 0.5, "focalGamma": 1, "batchSize": 128}


def stage2_lr(epoch, E2, lr_max):
    """GCL stage 2: the authors' cosine schedule, 0.01·lr_max·(1 + cos(π·t/E2)) on the fractional epoch t."""
    return 0.01 * lr_max * (1 + math.cos(math.pi * epoch / E2))


def fbl_alpha(epoch, T, form="scaled"):
    if form == "official":
        t = (epoch + 1) * 200 / T - 1
        return (max(0.0, t) / 190) ** 2
    denom = T - T / 20
    return 1.0 if denom <= 0 else (epoch / denom) ** 2


def ga_start_epoch(T):
    return round(120 * T / 200)


def drw_start_epoch(T):
    return round(160 * T / 200)



# ----------------------------------------------------------------------------------------- the app's random streams
# The app's Rng (sfc32 seeded through splitmix32, named forks), so a continued run draws the same batches,
# augmentation and GCL noise as the app would have.

M32 = 0xFFFFFFFF


def _hash_string(s):
    h = 0x811C9DC5
    for ch in s.encode("utf-16-le")[::2]:  # JS charCodeAt of ASCII labels
        h = ((h ^ ch) * 0x01000193) & M32
    return h


class AppRng:
    def __init__(self, seed=None, state=None):
        self.spare = None
        if state is not None:
            self.a, self.b, self.c, self.d = (v & M32 for v in state["s"])
            self.spare = state.get("spare")
            return
        x = int(math.floor(seed)) & M32
        out = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            t = x ^ (x >> 16)
            t = (t * 0x21F0AAAD) & M32
            t ^= t >> 15
            t = (t * 0x735A2D97) & M32
            t ^= t >> 15
            out.append(t)
        self.a, self.b, self.c, self.d = out
        for _ in range(12):
            self.next_u32()

    def next_u32(self):
        t = (self.a + self.b + self.d) & M32
        self.d = (self.d + 1) & M32
        self.a = self.b ^ (self.b >> 9)
        self.b = (self.c + (self.c << 3)) & M32
        self.c = ((self.c << 21) | (self.c >> 11)) & M32
        self.c = (self.c + t) & M32
        return t

    def next(self):
        return self.next_u32() / 4294967296

    def int(self, n):
        return math.floor(self.next() * n)

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u = 0.0
        while u == 0:
            u = self.next()
        v = self.next()
        r = math.sqrt(-2 * math.log(u))
        self.spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)

    def shuffle(self, arr):
        for i in range(len(arr) - 1, 0, -1):
            j = self.int(i + 1)
            arr[i], arr[j] = arr[j], arr[i]
        return arr

    def fork(self, label):
        h = _hash_string(label)
        return AppRng(seed=(self.a ^ ((h * 0x9E3779B1) & M32) ^ self.c) & M32)


def sampler_epoch(kind, labels, counts, rng):
    """One epoch of subset positions from the app's sampler (instance, classBalanced or cben)."""
    N = len(labels)
    if kind == "instance":
        return rng.shuffle(list(range(N)))
    C = len(counts)
    if kind == "classBalanced":
        K = sum(1 for n in counts if n > 0)
        probs = [1 / K if n > 0 else 0 for n in counts]
    elif kind == "cben":
        probs, _ = cben_class_prob(counts)
    else:
        raise SystemExit(f"unknown sampler '{kind}'")
    by_class = [[] for _ in range(C)]
    for i, y in enumerate(labels):
        by_class[y].append(i)
    cum, acc = [], 0.0
    for p in probs:
        acc += p
        cum.append(acc)
    last = max(c for c in range(C) if probs[c] > 0)
    out = []
    for _ in range(N):
        u = rng.next() * acc
        lo, hi = 0, last
        while lo < hi:
            mid = (lo + hi) >> 1
            if cum[mid] > u:
                hi = mid
            else:
                lo = mid + 1
        members = by_class[lo]
        out.append(members[rng.int(len(members))])
    return out


def sample_gamma(rng, k):
    """Gamma(k, 1) as the app draws it (Marsaglia–Tsang; k < 1 through the boost u^(1/k))."""
    if k < 1:
        u = max(rng.next(), 5e-324)
        return sample_gamma(rng, k + 1) * u ** (1 / k)
    d = k - 1 / 3
    c = 1 / math.sqrt(9 * d)
    while True:
        while True:
            x = rng.normal()
            v = 1 + c * x
            if v > 0:
                break
        v = v * v * v
        u = rng.next()
        if u < 1 - 0.0331 * x**4:
            return d * v
        if math.log(max(u, 5e-324)) < 0.5 * x * x + d * (1 - v + math.log(v)):
            return d * v


def draw_mix(rng, alpha, n):
    """The app's mixup draw of a batch of n: (λ ~ Beta(α, α), perm) with perm[i] the position mixed into i."""
    lam = 1.0
    if alpha > 0:
        x, y = sample_gamma(rng, alpha), sample_gamma(rng, alpha)
        lam = x / (x + y) if x + y > 0 else 0.5
    return lam, rng.shuffle(list(range(n)))


def augment_draws(rng, n, pad, flip_on):
    """(dy, dx, flip) per image, drawn in the app's order: row offset, column offset, then the flip coin."""
    out = []
    for _ in range(n):
        dy = dx = 0
        if pad > 0:
            dy = rng.int(2 * pad + 1) - pad
            dx = rng.int(2 * pad + 1) - pad
        flip = 1 if flip_on and rng.next() < 0.5 else 0
        out.append((dy, dx, flip))
    return torch.tensor(out, dtype=torch.long)


def gcl_noise(rng, rows, cols):
    vals = [min(1.0, max(-1.0, rng.normal() / 3)) for _ in range(rows * cols)]
    return torch.tensor(vals, dtype=torch.float32).view(rows, cols)


# ------------------------------------------------------------------------------------------------------- data


def _read_idx(path):
    with gzip.open(path, "rb") as fh:
        blob = fh.read()
    ndim = blob[3]
    dims = struct.unpack(">" + "I" * ndim, blob[4 : 4 + 4 * ndim])
    return torch.frombuffer(bytearray(blob[4 + 4 * ndim :]), dtype=torch.uint8).reshape(dims)


# the official binary layouts: folder, training files in order, test file, label bytes before the pixels (the used,
# fine label is the last of them)
CIFAR_LAYOUTS = {
    "cifar10-lt": ("cifar-10-batches-bin", [f"data_batch_{i}.bin" for i in range(1, 6)], "test_batch.bin", 1),
    "cifar100-lt": ("cifar-100-binary", ["train.bin"], "test.bin", 2),
}


def _read_cifar(paths, label_bytes):
    """Records (labels, then 1024 R, G, B planar bytes) of the files in order → uint8 NHWC images, int64 labels."""
    blob = bytearray()
    for p in paths:
        with open(p, "rb") as fh:
            blob += fh.read()
    rec = label_bytes + 3072
    if len(blob) % rec:
        raise SystemExit(f"{paths[0]}: not a whole number of {rec}-byte CIFAR records")
    arr = torch.frombuffer(blob, dtype=torch.uint8).view(-1, rec)
    images = arr[:, label_bytes:].reshape(-1, 3, 32, 32).permute(0, 2, 3, 1).contiguous()
    return images, arr[:, label_bytes - 1].long()


def load_cifar(dataset, root):
    folder, train_files, test_file, label_bytes = CIFAR_LAYOUTS[dataset]
    if not root:
        raise SystemExit(f"{dataset}: --data-root DIR: the extracted official binary archive ({folder}/ or the folder holding it)")
    if os.path.isdir(os.path.join(root, folder)):
        root = os.path.join(root, folder)
    missing = [f for f in train_files + [test_file] if not os.path.exists(os.path.join(root, f))]
    if missing:
        raise SystemExit(f"{dataset}: no {', '.join(missing)} in {root} (the official {folder}/ files)")
    tr, tr_lab = _read_cifar([os.path.join(root, f) for f in train_files], label_bytes)
    te, te_lab = _read_cifar([os.path.join(root, test_file)], label_bytes)
    return tr, tr_lab, te, te_lab


def load_official(dataset, root):
    """(train images, train labels, test images, test labels) as uint8 NHWC / int64, in the official order."""
    if dataset in CIFAR_LAYOUTS:
        return load_cifar(dataset, root)
    if dataset != "fmnist-lt":
        raise SystemExit(f"data set '{dataset}': only Fashion-MNIST (IDX) and CIFAR-10/100 (binary) files are read by this script")
    root = root or "/usr/share/datasets/fashion-mnist"
    f = lambda name: os.path.join(root, name)  # noqa: E731
    tr = _read_idx(f("train-images-idx3-ubyte.gz")).unsqueeze(-1)
    te = _read_idx(f("t10k-images-idx3-ubyte.gz")).unsqueeze(-1)
    return tr, _read_idx(f("train-labels-idx1-ubyte.gz")).long(), te, _read_idx(f("t10k-labels-idx1-ubyte.gz")).long()


def _axis_weights(src_len, out_len, offset, span):
    """[out_len, src_len] resampling weights of one axis, as the app's resize: area coverage when shrinking, bilinear
    with half-pixel centres (edges clamped) when enlarging; rows sum to 1."""
    inv = span / out_len
    area = inv >= 1 - 1e-12
    taps = math.ceil(inv) + 1 if area else 2
    w = torch.zeros(out_len, src_len, dtype=torch.float64)
    for o in range(out_len):
        row = {}
        if area:
            a = offset + o * inv
            b = a + inv
            first = max(0, math.floor(a + 1e-9))
            last = min(src_len - 1, math.ceil(b - 1e-9) - 1)
            for i in range(first, last + 1):
                if i - first >= taps:
                    break
                cover = min(b, i + 1) - max(a, i)
                if cover > 1e-12:
                    row[i] = cover
        else:
            c = offset + (o + 0.5) * inv - 0.5
            i0 = math.floor(c)
            f = c - i0
            if i0 < 0:
                row[0] = 1.0
            elif i0 >= src_len - 1:
                row[src_len - 1] = 1.0
            else:
                row[i0], row[i0 + 1] = 1 - f, f
        total = sum(row.values())
        if not total > 0:
            row, total = {min(src_len - 1, max(0, math.floor(offset + (o + 0.5) * inv))): 1.0}, 1.0
        for i, v in row.items():
            w[o, i] = v / total
    return w


def _decode_with_pil(path, src):
    """One image decoded by PIL, then converted and resized as the app does an upload (src/core/data/resize.ts): alpha
    over black, BT.601 grey from the stored values, the centred crop window of the target's aspect (or the whole image
    for 'stretch'), area averaging when shrinking and bilinear when enlarging, rounded. PIL's decoder (JPEG above all)
    may differ from the browser's."""
    from PIL import Image

    H, W, C = src["height"], src["width"], src["channels"]
    with Image.open(path) as im:
        im.load()
        im = im.convert("RGBA")
    sw, sh = im.size
    px = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(sh, sw, 4).double()
    rgb = px[..., :3] * (px[..., 3:] / 255)
    x = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).unsqueeze(-1) if C == 1 else rgb
    if src.get("fit", "crop") == "stretch":
        x0, y0, w, h = 0.0, 0.0, float(sw), float(sh)
    else:
        sc = max(W / sw, H / sh)
        w, h = min(sw, W / sc), min(sh, H / sc)
        x0, y0 = (sw - w) / 2, (sh - h) / 2
    wx, wy = _axis_weights(sw, W, x0, w), _axis_weights(sh, H, y0, h)
    out = torch.einsum("yh,hwc,xw->yxc", wy, x, wx)
    return torch.floor(out + 0.5).clamp(0, 255).to(torch.uint8)  # Math.round: halves up


def load_folder(bundle, run, indices, root):
    """An uploaded folder's (pool images, labels, test images, labels) in the app's order: the bundle's decoded pixels,
    or with --data-root the files named in indices.json decoded here."""
    files = indices.get("files")
    if root is None:
        path = os.path.join(bundle, "data.safetensors")
        if not os.path.exists(path):
            raise SystemExit(f"{path}: missing — an uploaded folder's bundle carries its images there; "
                             "re-export the bundle, or give the image folder with --data-root DIR")
        t, _ = load_safetensors(path)
        return t["poolImages"], t["poolLabels"].long(), t["testImages"], t["testLabels"].long()
    if not files:
        raise SystemExit("indices.json has no 'files': this bundle does not name its images' files")
    src = run["dataset"]["source"]
    if not os.path.isdir(root):
        raise SystemExit(f"--data-root {root}: not a folder (give the folder that holds the class folders)")
    print(f"--data-root {root}: decoding the files with PIL and resizing them as the app does; pixels may differ slightly "
          "from the browser's decode (JPEG above all; the bundle's data.safetensors holds the app's pixels: leave out "
          "--data-root to use them)", file=sys.stderr)

    def split(per_class, role):
        imgs, labs = [], []
        for c, names in enumerate(per_class):
            for name in names:
                p = os.path.join(root, *name.split("/"))
                if not os.path.isfile(p):
                    raise SystemExit(f"{p}: missing — indices.json names it ({role} image of class "
                                     f"'{run['dataset']['classNames'][c]}'); --data-root must be the folder that holds the class folders")
                try:
                    imgs.append(_decode_with_pil(p, src))
                except Exception as e:  # noqa: BLE001 - any decoder failure names the file
                    raise SystemExit(f"{p}: cannot be decoded ({e})")
                labs.append(c)
        shape = (0, src["height"], src["width"], src["channels"])
        return (torch.stack(imgs) if imgs else torch.empty(shape, dtype=torch.uint8)), torch.tensor(labs, dtype=torch.long)

    tr, tr_lab = split(files["train"], "training")
    te, te_lab = split(files["test"], "test")
    return tr, tr_lab, te, te_lab


def subset_hash(images, labels):
    """sha256 of the subset's pixel bytes (NHWC, subset order) followed by its labels as little-endian uint16."""
    h = hashlib.sha256()
    h.update(images.contiguous().numpy().tobytes())
    h.update(labels.to(torch.int16).numpy().astype("<u2").tobytes())
    return h.hexdigest()


def make_batch(images, mean, std, draws=None):
    """uint8 NHWC → normalised float32 NCHW; draws [B, 3] (dy, dx, flip) shift/flip like the app's random crop."""
    x = images.permute(0, 3, 1, 2).float() / 255
    x = (x - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
    if draws is None:
        return x
    zero = ((0 - torch.tensor(mean)) / torch.tensor(std)).view(1, -1, 1, 1).expand_as(x[:1])
    out = torch.empty_like(x)
    H, W = x.shape[2], x.shape[3]
    for b, (dy, dx, flip) in enumerate(draws.tolist()):
        o = zero[0].clone()  # o[y, x] = x[y + dy, x + dx] (zero outside), then the flip: as the app's makeBatch
        ys, ye = max(0, -dy), min(H, H - dy)
        xs, xe = max(0, -dx), min(W, W - dx)
        if ys < ye and xs < xe:
            o[:, ys:ye, xs:xe] = x[b, :, ys + dy : ye + dy, xs + dx : xe + dx]
        out[b] = o.flip(2) if flip else o
    return out


# --------------------------------------------------------------------------------------------------- training


def load_bundle(path):
    j = lambda name: json.load(open(os.path.join(path, name)))  # noqa: E731
    run = j("run.json")
    indices = j("indices.json")
    steps = j("steps.json") if os.path.exists(os.path.join(path, "steps.json")) else None
    return run, indices, steps


def evaluate(model, images, labels, mean, std, C, device, scale, batch=500):
    """Test metrics as the app reports them: accuracy, per-class accuracy, confusion, CE at the inference scale."""
    model.eval()
    confusion = torch.zeros(C, C, dtype=torch.long)
    loss_sum = 0.0
    norm_sum = torch.zeros(C, dtype=torch.float64)
    with torch.no_grad():
        for i in range(0, len(labels), batch):
            x = make_batch(images[i : i + batch], mean, std).to(device)
            feats = model.features(x)
            out = model.linear(feats)
            y = labels[i : i + batch]
            loss_sum += float(F.cross_entropy(out.cpu() * scale, y, reduction="sum"))
            pred = out.argmax(1).cpu()
            confusion += torch.bincount(y * C + pred, minlength=C * C).view(C, C)
            norm_sum.index_add_(0, y, feats.norm(dim=1).cpu().double())
    model.train()
    total = confusion.sum(1)
    per = [float(confusion[c, c] / total[c]) if total[c] > 0 else None for c in range(C)]
    return {
        "testLoss": loss_sum / max(1, len(labels)),
        "testAccuracy": float(confusion.diag().sum() / max(1, len(labels))),
        "perClassAccuracy": per,
        "confusion": confusion.tolist(),
        "featureNormTest": [float(norm_sum[c] / total[c]) if total[c] > 0 else None for c in range(C)],
    }


def groups_of(counts):
    return ["many" if n > 100 else "medium" if n >= 20 else "few" for n in counts]


def group_accuracy(per, groups):
    out = {}
    for g in ("many", "medium", "few"):
        v = [a for a, k in zip(per, groups) if k == g and a is not None]
        out[g] = sum(v) / len(v) if v else None
    return out


def inference_scale(loss, params, head):
    if head != "cosine":
        return 1.0
    p = {**LOSS_DEFAULTS[loss], **(params or {})}
    return float(p["s"] if "s" in p else p.get("scale", 30))


# ------------------------------------------------------------------------------------ subsets and inits from a seed
# The app's own draws (src/core/data/longtail.ts, src/core/models/executor.ts), so a run for another seed is the run
# the CLI's --seed gives: the same long-tail subset of the pool and the same initial weights.

DEFAULT_N_MAX = 5000


def counts_for(C, n_max, imbalance, profile, step_mu=0.5):
    """Training count per class (head first): exponential ⌊n_max·(1/IF)^(i/(C−1))⌋, or the step profile."""
    if profile == "exp":
        return [n_max if C == 1 else math.floor(n_max * (1 / imbalance) ** (i / (C - 1.0))) for i in range(C)]
    if profile == "step":
        tail, low = math.floor(step_mu * C), math.floor(n_max / imbalance)
        return [n_max if i < C - tail else low for i in range(C)]
    raise SystemExit(f"long-tail profile '{profile}' cannot be redrawn here (exp or step)")


def draw_long_tail(pool, labels, C, cfg, seed):
    """(official indices, labels) of the app's long-tail draw from `pool` (official indices, ascending)."""
    by_class = [[] for _ in range(C)]
    for i, y in enumerate(labels):
        by_class[y].append(i)
    largest = max(len(m) for m in by_class)
    n_max = min(DEFAULT_N_MAX, largest)
    if cfg["profile"] == "asis":
        counts = [min(len(m), n_max) for m in by_class]
    else:
        counts = counts_for(C, n_max, cfg["imbalance"], cfg["profile"], cfg.get("stepMu", 0.5))
    for c in range(C):
        if not 1 <= counts[c] <= len(by_class[c]):
            raise SystemExit(f"the long-tail profile needs {counts[c]} images of class {c}; the pool holds {len(by_class[c])}")
    rng = AppRng(seed=seed)
    idx, lab = [], []
    for c in range(C):
        order = rng.fork(f"longtail-class-{c}").shuffle(list(by_class[c]))
        idx += [pool[i] for i in order[: counts[c]]]
        lab += [c] * counts[c]
    return idx, lab


def split_validation(idx, lab, fraction, rng):
    """The training part of the app's validation split (per class a seeded share held out)."""
    if not fraction > 0:
        return idx, lab
    held = set()
    for c in sorted(set(lab)):
        pos = [i for i, y in enumerate(lab) if y == c]
        if len(pos) < 2:
            continue
        k = min(len(pos) - 1, max(1, math.floor(fraction * len(pos) + 0.5)))
        held.update(rng.fork(f"class/{c}").shuffle(list(pos))[:k])
    keep = [i for i in range(len(lab)) if i not in held]
    return [idx[i] for i in keep], [lab[i] for i in keep]


def _f32(values):
    return torch.tensor(values, dtype=torch.float64).to(torch.float32)


def init_from_seed(model, seed, head, linear_init="pytorch"):
    """The app's initial weights for `seed` (each parameter drawn in tfjs layout from its own named stream)."""
    root = AppRng(seed=seed).fork("init")
    out = {}
    for name, t in model.state_dict().items():
        r = root.fork(f"init/{name}")
        n = t.numel()
        if name.endswith("num_batches_tracked") or name.endswith("running_mean"):
            out[name] = torch.zeros_like(t)
        elif name.endswith("running_var"):
            out[name] = torch.ones_like(t)
        elif t.dim() == 4:  # kaiming_normal_ fan_in, relu gain; drawn as [kh, kw, in, out]
            o, i, kh, kw = t.shape
            std = math.sqrt(2 / (kh * kw * i))
            out[name] = _f32([r.normal() * std for _ in range(n)]).view(kh, kw, i, o).permute(3, 2, 0, 1).contiguous()
        elif name == "linear.weight" and head == "cosine":  # [in, out], columns of unit norm
            d, c = t.shape
            w = _f32([r.next() * 2 - 1 for _ in range(n)]).double().view(d, c)
            for j in range(c):
                s = 0.0
                for v in w[:, j].tolist():
                    s += v * v
                if s > 0:
                    w[:, j] = w[:, j] / math.sqrt(s)
            out[name] = w.float()
        elif name.startswith("linear."):  # nn.Linear default U(±1/√D), drawn as [D, C]
            D = 64
            bound = 1 / math.sqrt(D)
            v = _f32([(r.next() * 2 - 1) * bound for _ in range(n)])
            out[name] = v.view(D, -1).t().contiguous() if t.dim() == 2 else v
        elif name.endswith(".weight"):  # BatchNorm γ
            out[name] = torch.ones_like(t)
        else:  # BatchNorm β
            out[name] = torch.zeros_like(t)
    if linear_init == "kaiming" and head == "linear":
        r = root.fork("init/linear.weight/kaiming")
        C, D = out["linear.weight"].shape
        std = math.sqrt(2 / D)
        out["linear.weight"] = _f32([r.normal() * std for _ in range(C * D)]).view(D, C).t().contiguous()
    return out


def state_hash(state):
    """sha256 of the tensor bytes as the app's safetensors file lays them out (wider element types first, else in
    state-dict order): the bundle's initHash of the same weights."""
    h = hashlib.sha256()
    items = list(state.values())
    for _, t in sorted(enumerate(items), key=lambda it: (-it[1].element_size(), it[0])):
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def full_config(cfg, epochs=None):
    """The papers' protocol for the run's loss: ResNet-32, 200 epochs, the authors' recipe (src/core/train/recipe.ts)."""
    c = dict(cfg)
    loss = c["loss"]
    c.update(
        model="resnet32",
        epochs=epochs or 200,
        batchSize=128 if loss in ("ldam", "cbce") else 64,
        lr=0.1,
        momentum=0.9,
        weightDecay=2e-4,
        warmup=True,
        schedule="auto",
        augment=True,
        hflip=True,
        linearInit="kaiming",
        headImages=None,
        valFraction=0,
        evalPerClass=None,
    )
    if loss == "fbl":
        c["fblCurriculum"] = "official"
    # the authors' GCL backbone script mixes up with α = 1 (GCLLoss cifar_train_backbone.py --mixup, utils.py mixup_data)
    c["mixupAlpha"] = 1.0 if loss == "gcl" else 0
    return c


# ------------------------------------------------------------------------------------------------------ main

HELP = """
modes (one of them; every mode reads the official data files from --data-root, or an uploaded image folder's
pixels from the bundle's data.safetensors):
  (none)          train from init.safetensors for the run's epochs (or --epochs) with the app's own seeded
                  sampler, augmentation and GCL noise streams: the run as the app computes it
  --reproduce     replay steps.json from init.safetensors (same images, order, augmentation, noise and lr per
                  step); --out lists each step's loss beside the app's ("steps": [{loss, appLoss, relDiff}])
  --continue      go on from model.safetensors + momentum.safetensors with the random streams where the run left
                  them, up to --epochs N epochs in all (the lr schedule is that of an N-epoch run)
  --seeds 1,2,3   one run per seed, each as the CLI's --seed S would train it: the long-tail subset redrawn from
                  the bundle's pool (indices.json "pool"), the initial weights and the streams drawn from S
  --full          the papers' protocol: the full long-tail profile of the official training set (n_max =
                  min(5000, largest class), the run's imbalance factor and profile, balanced full test set),
                  ResNet-32, 200 epochs (or --epochs), the authors' recipe for the run's loss (SGD 0.9, wd 2e-4,
                  lr 0.1 with 5-epoch warm-up and the loss' step schedule, batch 64 / 128 for LDAM and CB-CE,
                  crop + flip, kaiming linear head, FBL's official curriculum, GCL's mixup α 1); init from the
                  seed; combine with --seeds for several seeds. --print-config shows the configuration without
                  training. Refused for an uploaded image folder (no paper protocol exists for it)

GCL stage 2 (--stage2 auto|yes|no; auto: when steps.json has stage-2 steps, i.e. the run went on into stage 2):
  after stage 1, the backbone is frozen (BatchNorm in eval mode, running statistics untouched) and the stage-1
  cosine classifier is re-trained on fresh momentum with GCL at the bundle's stage2 s, m, noise and focal γ, its
  sampler (CBEN or class-balanced, from the sampler stream), batch, epochs and cosine lr 0.01·lrMax·(1 + cos(πt/E2)),
  from the last stage-1 epoch or the best one (stage2.from "best": the best test accuracy). --reproduce replays the
  recorded stage-2 steps; the results go to "stage2Epochs", with "stage2Origin" naming the epoch it started from.

mixup (the run's mixupAlpha > 0; one process): λ ~ Beta(α, α) and the pairs drawn per batch from the app's mixup
  stream, loss λ·L(y) + (1 − λ)·L(y_perm); --reproduce replays the draws from the run's seeded streams.

several processes (DistributedDataParallel; gloo on CPU, nccl with --device cuda):
  torchrun --nproc-per-node N train.py BUNDLE_DIR [mode] ...    (torch < 2: --nproc_per_node N)
  python3 -m torch.distributed.run --nproc-per-node N train.py BUNDLE_DIR ...
  Every process draws the same global batch (the sampler's semantics kept: instance, class-balanced, CBEN) and
  takes every N-th image of it; BatchNorm statistics and the loss are reduced over the processes, so the steps equal
  the single-process ones. The first process evaluates and writes --out.

--out FILE.json gets the CLI's schema (config, dataset, epochs[] with trainLoss, testAccuracy, per-class and group
accuracy, confusion ...); with several seeds FILE-seedS.json per seed. The app's Export dialog opens it back
("Open PyTorch results") and draws it beside the browser run.
"""


def parse_seeds(text):
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise SystemExit(f"--seeds takes integers separated by commas, e.g. 1,2,3; got '{text}'")
    if not seeds:
        raise SystemExit("--seeds: no seed given")
    return seeds


def out_path(out, seed, several):
    if not out or not several:
        return out
    stem, ext = os.path.splitext(out)
    return f"{stem}-seed{seed}{ext or '.json'}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, epilog=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bundle", help="the bundle folder (run.json, indices.json, *.safetensors)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--reproduce", action="store_true", help="replay the recorded run from init.safetensors")
    mode.add_argument("--continue", dest="cont", action="store_true", help="train further from model.safetensors")
    mode.add_argument("--full", action="store_true", help="the papers' protocol (full LT profile, ResNet-32, 200 epochs)")
    ap.add_argument("--seeds", help="comma-separated seeds: one run each, subset and init redrawn per seed")
    ap.add_argument("--epochs", type=int, help="epochs in all (default: the run's; --full: 200); --reproduce: epochs replayed")
    ap.add_argument("--data-root", help="folder of the official data files (Fashion-MNIST: /usr/share/datasets/fashion-mnist; "
                    "CIFAR: the extracted cifar-10-batches-bin / cifar-100-binary folder or its parent; an uploaded image "
                    "folder: the folder holding the class folders, decoded with PIL instead of the bundle's data.safetensors)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"])
    ap.add_argument("--out", help="write the per-epoch results (JSON, the CLI's schema) there")
    ap.add_argument("--stage2", choices=["auto", "yes", "no"], default="auto",
                    help="GCL stage 2 after stage 1 (auto: when the recorded run has stage-2 steps)")
    ap.add_argument("--print-config", action="store_true", help="print the configuration each run would train, then exit")
    a = ap.parse_args(argv)
    if a.seeds is not None and (a.reproduce or a.cont):
        raise SystemExit("--seeds draws new runs: not with --reproduce or --continue")

    run, indices, steps = load_bundle(a.bundle)
    folder = run["dataset"]["id"] == "folder"
    if a.full and folder:
        raise SystemExit("--full: the papers' protocol is defined for Fashion-MNIST and CIFAR-10/100-LT; this bundle's data "
                         "is an uploaded image folder, which has no such protocol — use --epochs N and --seeds LIST instead")
    seeds = parse_seeds(a.seeds) if a.seeds is not None else [None]
    if a.print_config:
        for s in seeds:
            cfg = full_config(run["config"], a.epochs) if a.full else dict(run["config"])
            if s is not None:
                cfg["seed"] = s
            print(json.dumps(cfg))
        return
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        dist.init_process_group("nccl" if a.device == "cuda" else "gloo")
        if a.device == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    data = load_folder(a.bundle, run, indices, a.data_root) if folder else load_official(run["dataset"]["id"], a.data_root)
    for s in seeds:
        result = train_run(a, run, indices, steps, data, s)
        if result is None:  # not the first process
            continue
        text = json.dumps(result, indent=1)
        path = out_path(a.out, s, len(seeds) > 1)
        if path:
            tmp = f"{path}.tmp-{os.getpid()}"
            with open(tmp, "w") as fh:
                fh.write(text)
            os.replace(tmp, path)
        else:
            print(text)
    if world > 1:
        dist.destroy_process_group()


def mixed_step(model, form, x, y, noise, mix, frozen=False):
    """A mixup step (one process): x ← λ·x + (1 − λ)·x[perm], loss λ·L(y) + (1 − λ)·L(y[perm]) (GCL: its own noise)."""
    lam, perm, noise_b = mix
    perm = torch.tensor(perm, dtype=torch.long, device=x.device)
    x = lam * x + (1 - lam) * x[perm]
    yb = y[perm]
    with torch.set_grad_enabled(not frozen):
        feats = model.features(x)
    out = model.linear(feats)
    nb = None if noise_b is None else noise_b.to(x.device)
    loss = lam * form_loss(form, out, y, feats, noise) + (1 - lam) * form_loss(form, out, yb, feats, nb)
    loss.backward()
    pred = out.argmax(1)
    # the authors' accuracy under mixup: λ·acc(y_a) + (1 − λ)·acc(y_b)
    return loss, float(lam * (pred == y).sum().item() + (1 - lam) * (pred == yb).sum().item())


def train_run(a, run, indices, steps, data, seed):
    """One run of the chosen mode; `seed` None: the bundle's own seed, subset and init. The result (first process)."""
    cfg = full_config(run["config"], a.epochs) if a.full else dict(run["config"])
    redraw = a.full or seed is not None
    if seed is not None:
        cfg["seed"] = seed
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = torch.device(a.device)
    torch.manual_seed(cfg["seed"])
    tr_img, tr_lab, te_img, te_lab = data
    C = len(run["dataset"]["counts"])
    if a.full:  # the whole official training set is the pool
        pool = list(range(len(tr_lab)))
        idx, lab = draw_long_tail(pool, tr_lab.tolist(), C, cfg, cfg["seed"])
        test_idx = torch.arange(len(te_lab))
    elif seed is not None:
        if "pool" not in indices:
            raise SystemExit("--seeds: this bundle's indices.json has no 'pool' (written by an older app): re-export it")
        pool = indices["pool"]
        idx, lab = draw_long_tail(pool, tr_lab[torch.tensor(pool, dtype=torch.long)].tolist(), C, cfg, seed)
        idx, lab = split_validation(idx, lab, cfg.get("valFraction") or 0, AppRng(seed=seed).fork("val"))
        test_idx = torch.tensor(indices["test"], dtype=torch.long)
    else:
        idx = indices["train"]
        test_idx = torch.tensor(indices["test"], dtype=torch.long)
    train_idx = torch.tensor(idx, dtype=torch.long)
    x_train, y_train = tr_img[train_idx], tr_lab[train_idx]
    got = subset_hash(x_train, y_train)
    if not redraw and got != run["dataset"]["subsetHash"] and run["dataset"]["id"] == "folder" and a.data_root:
        print(f"subset hash {got} differs from the bundle's {run['dataset']['subsetHash']}: PIL's pixels differ from the "
              "app's, so the losses will differ slightly", file=sys.stderr)
    elif not redraw and got != run["dataset"]["subsetHash"]:
        raise SystemExit(f"subset hash {got} differs from the bundle's {run['dataset']['subsetHash']}: wrong data files?")
    x_test, y_test = te_img[test_idx], te_lab[test_idx]
    counts = torch.bincount(y_train, minlength=C).tolist() if redraw else run["dataset"]["counts"]
    mean, std = run["dataset"]["mean"], run["dataset"]["std"]
    model = build_model(cfg["model"], cfg["head"], C, x_train.shape[-1])
    init_path = os.path.join(a.bundle, "init.safetensors")
    if redraw:
        weights = init_from_seed(model, cfg["seed"], cfg["head"], cfg.get("linearInit", "pytorch"))
        init_hash = state_hash(weights)
    else:
        init_hash = tensor_data_hash(init_path)
        if run.get("initHash") and init_hash != run["initHash"]:
            raise SystemExit(f"init.safetensors data hash {init_hash} differs from the bundle's {run['initHash']}")
        weights, _ = load_safetensors(os.path.join(a.bundle, "model.safetensors") if a.cont else init_path)
    model.load_state_dict(weights, strict=True)
    model.to(device).train()
    ddp = None
    if world > 1:
        import types

        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.forward = types.MethodType(sync_bn_forward, m)
        ddp = nn.parallel.DistributedDataParallel(FeaturesAndOutput(model), broadcast_buffers=False)
    for m in model.modules():  # the app's BN: running statistics with momentum 0.1, eps 1e-5 (PyTorch defaults)
        if isinstance(m, nn.BatchNorm2d):
            m.momentum, m.eps = 0.1, 1e-5
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["weightDecay"])
    loss_id = cfg["loss"]
    params = run["lossParams"]
    T = cfg["epochs"] if a.reproduce else (cfg["epochs"] if a.full else (a.epochs or cfg["epochs"]))
    schedule = cfg["schedule"] if cfg["schedule"] != "auto" else AUTO_SCHEDULE.get(loss_id, "step001")

    def form_at(epoch):
        return logit_form(
            loss_id,
            params,
            counts,
            cfg["head"],
            alpha=fbl_alpha(epoch, T, cfg.get("fblCurriculum", "scaled")),
            ga_active=epoch >= ga_start_epoch(T),
            drw_active=epoch >= drw_start_epoch(T),
        )

    step_count = [0]

    def train_step(pos, lr, epoch, draws=None, noise=None, mix=None):
        for g in opt.param_groups:
            g["lr"] = lr
        if ddp is not None:  # this process' share of the global batch
            pos = pos[rank::world]
            draws = None if draws is None else draws[rank::world]
            noise = None if noise is None else noise[rank::world]
        x = make_batch(x_train[pos], mean, std, draws).to(device)
        y = y_train[pos].to(device)
        noise = None if noise is None else noise.to(device)
        opt.zero_grad(set_to_none=True)
        if mix is not None:
            loss, ok = mixed_step(model, form_at(epoch), x, y, noise, mix)
        elif ddp is None:
            feats = model.features(x)
            out = model.linear(feats)
            loss = form_loss(form_at(epoch), out, y, feats, noise)
            loss.backward()
            ok = (out.argmax(1) == y).sum().item()
        else:
            feats, out = ddp(x)
            num, den = form_terms(form_at(epoch), out, y, feats, noise)
            den = den.detach().clone()
            dist.all_reduce(den)
            local = num / den
            (local * world).backward()  # DDP averages the gradients over the processes
            red = torch.stack([local.detach(), (out.argmax(1) == y).sum().to(local.dtype)])
            dist.all_reduce(red)
            loss, ok = red[0], int(red[1])
        opt.step()
        step_count[0] += 1
        return float(loss), ok

    epochs_out = []
    step_log = []
    groups = groups_of(counts)
    scale = inference_scale(loss_id, params, cfg["head"])
    started = time.time()
    epoch_start = [time.time()]

    def epoch_metrics(e, train_loss, train_acc, lr, stage=1):
        seconds = time.time() - epoch_start[0]
        if rank != 0:  # the first process evaluates and writes
            return {"epoch": e, "trainLoss": train_loss}
        ev = evaluate(model, x_test, y_test, mean, std, C, device, scale if stage == 1 else float(s2["s"]))
        epoch_start[0] = time.time()
        print(f"stage {stage} epoch {e + 1}: train loss {train_loss:.6f}, test acc {100 * ev['testAccuracy']:.2f}%", file=sys.stderr)
        # stage 2 keeps the loss context of the last stage-1 epoch (the app's lossContext)
        ce = e if stage == 1 else T - 1
        return {
            "stage": stage,
            "epoch": e,
            "epochsInStage": T if stage == 1 else s2["epochs"],
            "step": step_count[0],
            "lr": lr,
            "alpha": fbl_alpha(ce, T, cfg.get("fblCurriculum", "scaled")),
            "gaActive": stage == 1 and loss_id == "kps" and params.get("ga", 1) >= 0.5 and e >= ga_start_epoch(T),
            "drwActive": loss_id == "ldam" and ce >= drw_start_epoch(T),
            "trainLoss": train_loss,
            "trainAccuracy": train_acc,
            **ev,
            "selection": "test",
            "selectionScore": ev["testAccuracy"],
            "groupAccuracy": group_accuracy(ev["perClassAccuracy"], groups),
            "seconds": seconds,
            "imagesPerSecond": len(y_train) / max(seconds, 1e-9),
            "engine": "pytorch",
        }

    # GCL stage 2: the backbone frozen (BN in eval mode, running statistics untouched), the stage-1 classifier
    # re-trained with the stage-2 GCL loss, sampler, batch and cosine lr, on fresh momentum
    s2 = {**STAGE2_DEFAULTS, **(cfg.get("stage2") or {})}
    recorded2 = steps is not None and any(s["stage"] == 2 for s in steps["steps"])
    want2 = a.stage2 == "yes" or (a.stage2 == "auto" and recorded2)
    if want2 and cfg["head"] != "cosine":
        raise SystemExit("GCL stage 2 re-trains a cosine classifier: this run has a linear head")
    if want2 and a.cont and recorded2:
        raise SystemExit("--continue: this run went on into GCL stage 2; only a stage-1 run continues (try --stage2 no)")
    from_best = want2 and s2.get("from", "last") == "best"
    if from_best and (cfg.get("valFraction") or 0) > 0:
        raise SystemExit("stage 2 from the best epoch selects on the validation split, which this script does not hold")
    best1 = {"score": None, "epoch": None, "state": None}

    def stage1_done(m):
        """Keeps the epoch's metrics; the weights too when stage 2 starts from the best stage-1 epoch."""
        epochs_out.append(m)
        if not from_best:
            return
        better = torch.tensor([1 if rank == 0 and (best1["score"] is None or m["testAccuracy"] > best1["score"]) else 0])
        if world > 1:
            dist.broadcast(better, 0)
        if int(better[0]):
            best1.update(score=m.get("testAccuracy"), epoch=m["epoch"], state={k: v.detach().clone() for k, v in model.state_dict().items()})

    form2 = logit_form("gcl", {**LOSS_DEFAULTS["gcl"], **{k: s2[k] for k in ("s", "m", "noiseMul", "focalGamma")}}, counts, cfg["head"])
    head_params = list(model.linear.parameters())
    opt2 = []

    def begin_stage2():
        origin = {"from": "last", "epoch": len(epochs_out) - 1}
        if from_best and best1["state"] is not None:
            model.load_state_dict(best1["state"])
            origin = {"from": "best", "epoch": best1["epoch"]}
        opt2.append(torch.optim.SGD(head_params, lr=s2["lrMax"], momentum=cfg["momentum"], weight_decay=cfg["weightDecay"]))
        return origin

    def train_step2(pos, lr, draws=None, noise=None, mix=None):
        opt = opt2[0]
        for g in opt.param_groups:
            g["lr"] = lr
        if world > 1:
            pos = pos[rank::world]
            draws = None if draws is None else draws[rank::world]
            noise = None if noise is None else noise[rank::world]
        x = make_batch(x_train[pos], mean, std, draws).to(device)
        y = y_train[pos].to(device)
        noise = None if noise is None else noise.to(device)
        model.eval()
        opt.zero_grad(set_to_none=True)
        if mix is not None:  # the app mixes in stage 2 as well
            loss, ok = mixed_step(model, form2, x, y, noise, mix, frozen=True)
            opt.step()
            model.train()
            step_count[0] += 1
            return float(loss), ok
        with torch.no_grad():
            feats = model.features(x)
        out = model.linear(feats)
        if world == 1:
            loss = form_loss(form2, out, y, feats, noise)
            loss.backward()
            ok = (out.argmax(1) == y).sum().item()
        else:  # the frozen backbone needs no DDP: the classifier's gradient is summed over the processes
            num, den = form_terms(form2, out, y, feats, noise)
            den = den.detach().clone()
            dist.all_reduce(den)
            local = num / den
            local.backward()
            for p in head_params:
                dist.all_reduce(p.grad)
            red = torch.stack([local.detach(), (out.argmax(1) == y).sum().to(local.dtype)])
            dist.all_reduce(red)
            loss, ok = red[0], int(red[1])
        opt.step()
        model.train()
        step_count[0] += 1
        return float(loss), ok

    stage2_out = []
    origin2 = None

    alpha_mix = cfg.get("mixupAlpha") or 0
    if alpha_mix > 0 and world > 1:
        raise SystemExit("mixup runs on one process only (the pairs are drawn over the global batch)")

    if a.reproduce:
        # the mixup draws (and GCL's second noise draw) are not in steps.json: replayed from the run's seeded streams
        root0 = AppRng(seed=cfg["seed"])
        mix_rng, noise_rng = root0.fork("mixup"), root0.fork("noise")

        def replay_mix(n, noise):
            if alpha_mix <= 0:
                return None
            if noise is not None:
                again = gcl_noise(noise_rng, n, C)
                if not torch.equal(again, noise):
                    raise SystemExit("--reproduce: the noise stream does not give the recorded noise (live edits?)")
            lam, perm = draw_mix(mix_rng, alpha_mix, n)
            return lam, perm, None if noise is None else gcl_noise(noise_rng, n, C)

        if steps is None:
            raise SystemExit("this bundle has no steps.json: it cannot be replayed step by step")
        by_epoch, by_epoch2 = {}, {}
        for s in steps["steps"]:
            (by_epoch if s["stage"] == 1 else by_epoch2).setdefault(s["epoch"], []).append(s)
        replay = sorted(by_epoch)[: a.epochs or None]
        if a.stage2 == "yes" and not by_epoch2:
            raise SystemExit("--reproduce --stage2 yes: the recorded run has no stage-2 steps")
        for e in replay:
            lsum, n, correct = 0.0, 0, 0
            for s in by_epoch[e]:
                pos = torch.tensor(s["positions"], dtype=torch.long)
                draws = torch.tensor(s["augment"], dtype=torch.long).view(-1, 3) if s.get("augment") else None
                noise = torch.tensor(s["noise"], dtype=torch.float32).view(len(pos), C) if s.get("noise") else None
                loss, ok = train_step(pos, s["lr"], e, draws, noise, replay_mix(len(pos), noise))
                last_lr = s["lr"]
                ref = s["loss"]
                step_log.append({"step": s["step"], "loss": loss, "appLoss": ref, "relDiff": abs(loss - ref) / max(abs(ref), 1e-12)})
                lsum += loss * len(pos)
                n += len(pos)
                correct += ok
            stage1_done(epoch_metrics(e, lsum / n, correct / n, last_lr))
        if want2 and len(replay) == len(by_epoch):
            origin2 = begin_stage2()
            for e in sorted(by_epoch2):
                lsum, n, correct = 0.0, 0, 0
                for s in by_epoch2[e]:
                    pos = torch.tensor(s["positions"], dtype=torch.long)
                    draws = torch.tensor(s["augment"], dtype=torch.long).view(-1, 3) if s.get("augment") else None
                    noise = torch.tensor(s["noise"], dtype=torch.float32).view(len(pos), C) if s.get("noise") else None
                    loss, ok = train_step2(pos, s["lr"], draws, noise, replay_mix(len(pos), noise))
                    last_lr = s["lr"]
                    ref = s["loss"]
                    step_log.append({"step": s["step"], "stage": 2, "loss": loss, "appLoss": ref, "relDiff": abs(loss - ref) / max(abs(ref), 1e-12)})
                    lsum += loss * len(pos)
                    n += len(pos)
                    correct += ok
                stage2_out.append(epoch_metrics(e, lsum / n, correct / n, last_lr, stage=2))
    else:
        if a.cont:
            if not run.get("rng"):
                raise SystemExit("--continue: the bundle has no random-stream state (the run stopped mid-epoch)")
            start = run["epochsDone"]
            step_count[0] = run.get("steps", 0)
            streams = {k: AppRng(state=v) for k, v in run["rng"].items()}
            mom, _ = load_safetensors(os.path.join(a.bundle, "momentum.safetensors"))
            named = dict(model.named_parameters())
            for k, v in mom.items():
                opt.state[named[k]]["momentum_buffer"] = v.to(device)
        else:
            start = 0
            root = AppRng(seed=cfg["seed"])
            streams = {k: root.fork(name) for k, name in (("sampler", "sampler"), ("augment", "augment"), ("noise", "noise"), ("mix", "mixup"))}
        B = cfg["batchSize"]
        N = len(y_train)
        nb = N // B + 1 if N % B >= 2 else max(N // B, 1)
        labels_list = y_train.tolist()
        pad = run["dataset"].get("cropPad", 0)
        flip_on = cfg["augment"] and cfg["hflip"] and run["dataset"].get("hflip", True)
        for e in range(start, T):
            positions = sampler_epoch(cfg["sampler"], labels_list, counts, streams["sampler"])
            lsum, n, correct = 0.0, 0, 0
            for b in range(nb):
                pos = torch.tensor(positions[b * B : (b + 1) * B], dtype=torch.long)
                draws = augment_draws(streams["augment"], len(pos), pad, flip_on) if cfg["augment"] else None
                noise = gcl_noise(streams["noise"], len(pos), C) if loss_id == "gcl" else None
                mix = None
                if alpha_mix > 0:
                    if "mix" not in streams:
                        raise SystemExit("--continue: the bundle has no mixup stream state (written by an older app)")
                    lam, perm = draw_mix(streams["mix"], alpha_mix, len(pos))
                    mix = (lam, perm, gcl_noise(streams["noise"], len(pos), C) if loss_id == "gcl" else None)
                lr = stage1_lr(e + b / nb, T, cfg["lr"], schedule, cfg["warmup"])
                loss, ok = train_step(pos, lr, e, draws, noise, mix)
                last_lr = lr
                step_log.append({"epoch": e, "loss": loss})
                lsum += loss * len(pos)
                n += len(pos)
                correct += ok
            stage1_done(epoch_metrics(e, lsum / n, correct / n, last_lr))
        if want2:
            origin2 = begin_stage2()
            B2 = s2["batchSize"]
            nb2 = N // B2 + 1 if N % B2 >= 2 else max(N // B2, 1)
            for e in range(s2["epochs"]):
                positions = sampler_epoch(s2["sampler"], labels_list, counts, streams["sampler"])
                lsum, n, correct = 0.0, 0, 0
                for b in range(nb2):
                    pos = torch.tensor(positions[b * B2 : (b + 1) * B2], dtype=torch.long)
                    draws = augment_draws(streams["augment"], len(pos), pad, flip_on) if cfg["augment"] else None
                    noise = gcl_noise(streams["noise"], len(pos), C)
                    mix = None
                    if alpha_mix > 0:
                        lam, perm = draw_mix(streams["mix"], alpha_mix, len(pos))
                        mix = (lam, perm, gcl_noise(streams["noise"], len(pos), C))
                    lr = stage2_lr(e + b / nb2, s2["epochs"], s2["lrMax"])
                    loss, ok = train_step2(pos, lr, draws, noise, mix)
                    last_lr = lr
                    step_log.append({"stage": 2, "epoch": e, "loss": loss})
                    lsum += loss * len(pos)
                    n += len(pos)
                    correct += ok
                stage2_out.append(epoch_metrics(e, lsum / n, correct / n, last_lr, stage=2))

    if rank != 0:
        return None
    best = max(epochs_out, key=lambda m: m["testAccuracy"]) if epochs_out else None
    last = (stage2_out or epochs_out)[-1] if epochs_out else None
    result = {
        "tool": "long-tail-playground train.py",
        "version": 1,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": "reproduce" if a.reproduce else "continue" if a.cont else "full" if a.full else "seed" if seed is not None else "train",
        "config": cfg,
        "stage2Config": s2 if origin2 else None,
        "backend": {"name": "pytorch", "reason": f"torch {torch.__version__} on {device}"},
        "engine": "pytorch",
        "dataset": {
            "id": run["dataset"]["id"],
            "title": run["dataset"].get("title"),
            "classNames": run["dataset"].get("classNames"),
            "counts": counts,
            "groups": groups,
            "trainImages": len(y_train),
            "testImages": len(y_test),
            "subsetHash": got,
        },
        "initHash": init_hash,
        "model": {"kind": cfg["model"], "head": cfg["head"], "headNote": None},
        "lossParams": params,
        "halted": None,
        "seconds": time.time() - started,
        "bestEpoch": best["epoch"] if best else None,
        "stage2Origin": origin2,
        "epochs": epochs_out,
        "stage2Epochs": stage2_out,
        "final": {k: last[k] for k in ("stage", "testAccuracy", "groupAccuracy", "perClassAccuracy", "featureNormTest", "confusion")}
        if last
        else None,
        "steps": step_log,
    }
    if world > 1:
        result["worldSize"] = world
    return result


if __name__ == "__main__":
    main()
