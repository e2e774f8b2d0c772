"""Uniform average of Depthy checkpoints (weights, batch-norm statistics included) — for checkpoints of one
lineage, e.g. the shipped weights and the checkpoints of a run that restarted the learning rate from them,
whose average can land lower in the shared basin than either alone (measure it: select_checkpoint).

    python -m training.average_weights A.pt B.pt [C.pt ...] --out /tmp/average.pt   # a candidate for select_checkpoint

training.export_weights --average-with ships such an average and names its parts in the model card.
"""
import argparse

import torch

from training.evaluate import depthy_weights


def average(paths) -> dict:
    """float32 mean of every floating tensor; integer buffers (batch-norm step counts) from the first."""
    states = [depthy_weights(p) for p in paths]
    keys = states[0].keys()
    if any(s.keys() != keys for s in states[1:]):
        raise ValueError("checkpoints of different architectures cannot be averaged")
    return {k: torch.stack([s[k] for s in states]).mean(0) if states[0][k].is_floating_point() else states[0][k]
            for k in keys}


def fold_in(mean: dict | None, state: dict, count: int) -> dict:
    """The uniform mean of count + 1 states, from the mean of the first count (None when count is 0) and
    the next state: what train.py --average-from keeps over epoch ends without storing each epoch's weights.
    Same rules as average(): float32 means, integer buffers from the first."""
    if mean is None or count == 0:
        return {k: v.detach().float().clone() if v.is_floating_point() else v.detach().clone() for k, v in state.items()}
    if mean.keys() != state.keys():
        raise ValueError("checkpoints of different architectures cannot be averaged")
    return {k: mean[k] + (state[k].detach().float() - mean[k]) / (count + 1) if state[k].is_floating_point()
            else mean[k] for k in mean}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    if len(args.checkpoints) < 2:
        p.error("give at least two checkpoints")
    torch.save(average(args.checkpoints), args.out)
    print(f"wrote {args.out}: mean of {len(args.checkpoints)} checkpoints")


if __name__ == "__main__":
    main()
