/** The PyTorch code shown by the export dialog (pure text: the page imports it without tfjs). */
/**
 * Python that loads an exported file into the authors' ResNet_s definition (`models/resnet_cifar.py` of the
 * LDAM-DRW / GCL code: `resnet32` = `ResNet_s(BasicBlock, [5, 5, 5])`) and classifies uint8 images exactly as the
 * app preprocesses them. Shown by the export dialog; the test suite runs it.
 */
export const PYTORCH_SNIPPET = `# pip install torch safetensors; models/resnet_cifar.py from the LDAM-DRW / GCL code
import json
import torch
from safetensors.torch import load_file
from models.resnet_cifar import ResNet_s, BasicBlock  # resnet32 = ResNet_s(BasicBlock, [5, 5, 5])

path = "model.safetensors"
with open(path, "rb") as fh:  # the app's metadata is in the file's JSON header
    meta = json.loads(fh.read(int.from_bytes(fh.read(8), "little")))["__metadata__"]
model = ResNet_s(BasicBlock, json.loads(meta["num_blocks"]), num_classes=int(meta["num_classes"]),
                 use_norm=meta["head"] == "cosine")
if meta["in_channels"] != "3":  # the authors' conv1 takes RGB; grey-scale models have 1 input channel
    model.conv1 = torch.nn.Conv2d(int(meta["in_channels"]), 16, 3, 1, 1, bias=False)
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
