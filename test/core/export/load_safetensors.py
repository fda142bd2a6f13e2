"""Loads a Long-Tail Playground safetensors export into a PyTorch model and classifies raw images.

Test helper for test/core/export/safetensors.test.ts. It parses the file itself (struct/json/numpy: no
`safetensors` package is needed), builds the model the metadata describes — ResNet_s from
test/core/models/torch_resnet_s.py, or the small ConvNet below — loads the state dict with strict=True and runs
uint8 NHWC images preprocessed exactly as the metadata documents: x = (pixel/255 - mean[c]) / std[c].

Usage: python3 load_safetensors.py MODEL.safetensors IMAGES.u8 N OUT.json
OUT: {"logits": [[...]], "num_batches_tracked": {layer: n}, "keys": [state-dict names in file order]}
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
from torch_resnet_s import ResNetS  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    """-> (dict name -> torch.Tensor in file order, metadata dict)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, end = e["data_offsets"]
        dt = np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(data[b:end], dtype=dt).astype(DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


class ConvNet(nn.Module):
    """The app's small ConvNet: 3x (conv3x3 + BN + ReLU), max-pool after the first two, GAP, head."""

    def __init__(self, in_ch, num_classes, head):
        super().__init__()
        c = in_ch
        for i, planes in enumerate([16, 32, 64]):
            setattr(self, f"conv{i + 1}", nn.Conv2d(c, planes, 3, 1, 1, bias=False))
            setattr(self, f"bn{i + 1}", nn.BatchNorm2d(planes))
            c = planes
        if head == "cosine":
            from torch_resnet_s import NormedLinear
            self.linear = NormedLinear(64, num_classes)
        else:
            self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.bn3(self.conv3(x)))
        f = x.mean((2, 3))
        return f, self.linear(f)


def build(meta):
    kind, head = meta["model"], meta["head"]
    nc, in_ch = int(meta["num_classes"]), int(meta["in_channels"])
    if kind == "convnet":
        return ConvNet(in_ch, nc, head)
    blocks = json.loads(meta["num_blocks"])
    return ResNetS(blocks[0], nc, in_ch, head)


def main():
    path, img_path, n, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    sd, meta = read_safetensors(path)
    model = build(meta)
    model.load_state_dict(sd, strict=True)
    model.eval()
    h, w, c = json.loads(meta["input_shape_nhwc"])
    assert json.loads(meta["input_shape"]) == [c, h, w]
    mean = np.array(json.loads(meta["mean"]), dtype=np.float64)
    std = np.array(json.loads(meta["std"]), dtype=np.float64)
    imgs = np.fromfile(img_path, dtype=np.uint8).reshape(n, h, w, c)
    x = ((imgs.astype(np.float64) / 255.0 - mean) / std).astype(np.float32)
    x = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        _, logits = model(x)
    json.dump({
        "logits": logits.double().tolist(),
        "num_batches_tracked": {k[:-len(".num_batches_tracked")]: int(v) for k, v in sd.items() if k.endswith("num_batches_tracked")},
        "keys": list(sd.keys()),
    }, open(out_path, "w"))


if __name__ == "__main__":
    main()
