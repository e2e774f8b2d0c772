"""How much of Depthy's nRMSE its output resolution alone can explain.

    python -m training.resolution_floor [--plates] [--vessels] [--clusters] [--shells] [--rods] [--freestyle]

The network answers at half the working size and is upsampled (models/depthy.py), and the engine
averages in a reading at 0.75 of that size (models/depthy_engine.py). Sending the *true* depth through the
same path gives the score a perfect network would get: the floor that a sharper output stage could
remove. The truth is copied outward past the silhouette first, since the network's answer off the
figure costs nothing and it is free to extend the figure's values there.
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from depthy_blender.core import metrics
from depthy_blender.models import depthy_engine
from depthy_blender.models.depthy import OUTPUT_STRIDE
from training import evaluate


def _at_output_resolution(x: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    low = F.avg_pool2d(t, OUTPUT_STRIDE)
    return F.interpolate(low, size=x.shape[-2:], mode="bilinear", align_corners=False).numpy()


def through_output_path(nearness: np.ndarray, mask: np.ndarray, size: int = depthy_engine.DEFAULT_SIZE,
                        second_scale: bool = True) -> np.ndarray:
    """The true nearness as the engine's resampling would hand it back from a perfect network."""
    _, nearest = ndimage.distance_transform_edt(~mask, return_indices=True)
    extended = nearness[tuple(nearest)].astype(np.float32)
    out = depthy_engine.read_at_scales(extended[None, None], size, _at_output_resolution, second_scale)
    return depthy_engine.resize(out, nearness.shape)[0, 0]


def floor(data: dict, second_scale: bool) -> float:
    scores = [metrics.depth_errors(through_output_path(t, m, second_scale=second_scale), t, m)["nrmse"]
              for t, m in zip(data["nearness"], data["mask"]) if m.any() and np.ptp(t[m]) > 0]
    return float(np.mean(scores))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    evaluate.add_set_arguments(p)
    args = p.parse_args()
    print(f"{'set':12s} {'one scale':>10s} {'with 0.75':>10s}   (nRMSE of the truth sent through the output path)")
    for name, data in evaluate.evaluation_sets(evaluate.chosen_sets(args)).items():
        if data is None:   # a set that cannot be made here (no meshes folder, no Blender)
            continue
        print(f"{name:12s} {floor(data, False):10.4f} {floor(data, True):10.4f}")


if __name__ == "__main__":
    main()
