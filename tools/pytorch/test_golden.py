#!/usr/bin/env python3
"""Checks train.py's losses, per-class vectors and schedules against the authors' golden outputs.

  python3 test_golden.py losses.json

Every case and every loss entry of the file: the classifier output, the loss (1e-5 relative) and the gradients
w.r.t. the output, the features, the weight and the bias (element-wise 1e-5 + 1e-5·max|ref|). Prints one line per
check and a summary; exits 1 on any failure.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402

LOSS_REL = 1e-5
GRAD_ABS = 1e-5
GRAD_REL = 1e-5


def app_loss(spec, classifier):
    """The golden entry's loss in the app's terms: (loss id, params, head, alpha, gaActive, drwActive)."""
    kind = spec["loss"]
    head = classifier
    if kind == "ce" and spec.get("classWeights") == "cb":
        return "cbce", {"beta": spec["beta"], "scale": spec.get("scale", 30)}, head, 0.0, False, False
    if kind == "ce":
        return "ce", {"scale": spec.get("scale", 30)}, head, 0.0, False, False
    if kind == "gcl":
        p = {"s": spec["s"], "m": spec["m"], "noiseMul": spec["noiseMul"], "focalGamma": spec.get("focalGamma", 0)}
        return "gcl", p, head, 0.0, False, False
    if kind == "kps":
        ga = bool(spec["gradientAdjustment"])
        return "kps", {"maxM": spec["maxM"], "s": spec["s"], "ga": 1}, head, 0.0, ga, False
    if kind == "fbl":
        return "fbl", {"A": spec["lambda"]}, head, spec["alpha"], False, False
    if kind == "ldam":
        drw = spec.get("classWeights") == "drw"
        return "ldam", {"maxM": spec["maxM"], "s": spec["s"], "beta": spec.get("beta", 0.9999)}, head, 0.0, False, drw
    if kind == "balancedSoftmax":
        return "balancedSoftmax", {}, head, 0.0, False, False
    if kind == "logitAdjust":
        return "logitAdjust", {"tau": spec["tau"]}, head, 0.0, False, False
    raise ValueError(f"unknown golden loss '{kind}'")


class Report:
    def __init__(self):
        self.failures = []
        self.checks = 0

    def loss(self, what, got, ref):
        self.checks += 1
        rel = abs(got - ref) / max(abs(ref), 1e-30)
        if not rel <= LOSS_REL:
            self.failures.append(f"{what}: {got!r} vs {ref!r} (relative {rel:.3g} > {LOSS_REL})")

    def tensor(self, what, got, ref):
        self.checks += 1
        ref = torch.tensor(ref, dtype=torch.float64)
        got = got.detach().to(torch.float64)
        if got.shape != ref.shape:
            self.failures.append(f"{what}: shape {tuple(got.shape)} vs {tuple(ref.shape)}")
            return
        bound = GRAD_ABS + GRAD_REL * float(ref.abs().max()) if ref.numel() else 0
        worst = float((got - ref).abs().max()) if ref.numel() else 0.0
        if not worst <= bound:
            self.failures.append(f"{what}: max |diff| {worst:.3g} > {bound:.3g}")

    def vector(self, what, got, ref, rel=LOSS_REL):
        self.checks += 1
        got = torch.tensor(got, dtype=torch.float64)
        ref = torch.tensor(ref, dtype=torch.float64)
        worst = float(((got - ref).abs() / ref.abs().clamp_min(1e-12)).max())
        if not worst <= rel:
            self.failures.append(f"{what}: max relative diff {worst:.3g} > {rel}")


def check_case(case, rep):
    name = case["name"]
    counts = case["counts"]
    labels = torch.tensor(case["labels"], dtype=torch.long)
    noise = torch.tensor(case["gclNoise"], dtype=torch.float32)
    for key, entry in case["losses"].items():
        what = f"{name}/{key}"
        loss_id, params, head, alpha, ga, drw = app_loss(entry["spec"], entry["classifier"])
        feats = torch.tensor(case["features"], dtype=torch.float32, requires_grad=True)
        weight = torch.tensor(case["cosWeight"], dtype=torch.float32, requires_grad=True)
        bias = torch.tensor(case["linearBias"], dtype=torch.float32, requires_grad=True)
        if head == "cosine":
            out = F.normalize(feats, dim=1) @ F.normalize(weight, dim=0)
        else:
            out = feats @ weight + bias
        out.retain_grad()
        form = train.logit_form(loss_id, params, counts, head, alpha=alpha, ga_active=ga, drw_active=drw)
        loss = train.form_loss(form, out, labels, feats, noise)
        loss.backward()
        rep.tensor(f"{what} input", out, entry["input"])
        rep.loss(f"{what} loss", float(loss), entry["loss"])
        rep.tensor(f"{what} gradInput", out.grad, entry["gradInput"])
        rep.tensor(f"{what} gradFeatures", feats.grad, entry["gradFeatures"])
        rep.tensor(f"{what} gradWeight", weight.grad, entry["gradWeight"])
        if "gradBias" in entry:
            rep.tensor(f"{what} gradBias", bias.grad, entry["gradBias"])
    pc = case["perClass"]
    rep.vector(f"{name} gclCloudSize", train.log_gap_normalized(counts, "GCL"), pc["gclCloudSize"])
    rep.vector(f"{name} kpsScale", train.kps_scale(counts), pc["kpsScale"])
    rep.vector(f"{name} kpsMargin", train.kps_margin(counts, 0.2), pc["kpsMargin_maxM0.2"])
    rep.vector(f"{name} kpsGaScale", train.kps_ga_scale(counts, 15), pc["kpsGaScale_s15"])
    rep.vector(f"{name} ldamMargin", train.ldam_margin(counts, 0.5), pc["ldamMargin_maxM0.5"])
    rep.vector(f"{name} cbWeights", train.class_balanced_weights(counts, 0.9999), pc["cbWeights_beta0.9999"])
    prob, w = train.cben_class_prob(counts)
    rep.vector(f"{name} cbenClassProb", prob, pc["cbenClassProb"])
    rep.vector(f"{name} cbenPerSampleWeight", w, pc["cbenPerSampleWeight"])


def check_schedules(s, rep):
    for t, v in s["fblAlpha_T200"].items():
        rep.loss(f"schedules fblAlpha t={t}", train.fbl_alpha(int(t), 200, "official"), v)
    for key, sched in (("lrGclKps_base0.1", "step01"), ("lrLdamFbl_base0.1", "step001")):
        for e, v in s[key].items():
            rep.loss(f"schedules {key} e={e}", train.stage1_lr(int(e), 200, 0.1, sched), v)
    rep.loss("schedules kpsGaStartEpoch", train.ga_start_epoch(200), s["kpsGaStartEpoch"])
    rep.loss("schedules drwStartEpoch", train.drw_start_epoch(200), s["drwStartEpoch"])


def main(path):
    with open(path) as fh:
        doc = json.load(fh)
    rep = Report()
    n_losses = 0
    for case in doc["cases"]:
        check_case(case, rep)
        n_losses += len(case["losses"])
    if "schedules" in doc:
        check_schedules(doc["schedules"], rep)
    for f in rep.failures:
        print(f"FAIL {f}")
    print(f"golden: {len(doc['cases'])} cases, {n_losses} loss entries, {rep.checks} checks, {len(rep.failures)} failures")
    return 1 if rep.failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: test_golden.py losses.json")
    sys.exit(main(sys.argv[1]))
