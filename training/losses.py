"""Depthy's training losses (thesis fig. 4.6): SSIM 1.0 + BerHu 0.6 + gradient 0.2 on nearness inside
the figure, plus BCE + Dice on the figure mask, plus (weight `SSI_WEIGHT`) a scale-and-shift-invariant
RMSE: the relief normalises nearness over the mask and the evaluation aligns scale and shift, so only
the shape of the nearness matters to users and metrics."""
import torch
import torch.nn.functional as F


def berhu(pred, target, mask):
    err = (pred - target).abs()[mask]
    if err.numel() == 0:
        return pred.sum() * 0
    c = (0.2 * err.max()).detach().clamp(min=1e-6)
    return torch.where(err <= c, err, (err * err + c * c) / (2 * c)).mean()


def gradient(pred, target, mask):
    total, count = pred.sum() * 0, 0
    for dim in (-1, -2):
        dp, dt = torch.diff(pred, dim=dim), torch.diff(target, dim=dim)
        n = mask.shape[dim] - 1
        both = mask.narrow(dim, 0, n) & mask.narrow(dim, 1, n)      # each neighbour pair inside the figure
        if both.any():
            total = total + (dp - dt).abs()[both].mean()
            count += 1
    return total / max(count, 1)


def ssim(pred, target, mask, window=7, c1=0.01 ** 2, c2=0.03 ** 2):
    """(1 − SSIM) / 2 averaged over the figure; both maps are zero outside it."""
    m = mask.float().unsqueeze(1)
    x, y = pred.unsqueeze(1) * m, target.unsqueeze(1) * m
    pool = lambda a: F.avg_pool2d(a, window, 1, window // 2, count_include_pad=False)  # noqa: E731
    mx, my = pool(x), pool(y)
    vx, vy, cxy = pool(x * x) - mx * mx, pool(y * y) - my * my, pool(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    d = ((1 - s) / 2).clamp(0, 1)
    return (d * m).sum() / m.sum().clamp(min=1)


def fit_scale_shift(pred, target, mask, nonnegative=False):
    """Per image, pred·s + t with the least-squares s and t in the mask (differentiable through the fit).
    nonnegative clamps s at 0 as the evaluation does: a depth-inverted guess then scores like a flat one."""
    w = mask.float().flatten(1)
    p, t = pred.flatten(1), target.flatten(1)
    n = w.sum(1).clamp(min=1)
    mp, mt = (w * p).sum(1) / n, (w * t).sum(1) / n
    dp, dt = (p - mp[:, None]) * w, (t - mt[:, None]) * w
    scale = (dp * dt).sum(1) / (dp * dp).sum(1).clamp(min=1e-8)
    if nonnegative:
        scale = scale.clamp(min=0)
    return (scale[:, None] * (p - mp[:, None]) + mt[:, None]).view_as(pred)


def scale_shift_invariant(pred, target, mask, nonnegative=False):
    """Per image: RMSE after the least-squares scale + shift of pred onto target in the mask, ÷ the
    target's range there; mean over the batch."""
    w = mask.float().flatten(1)
    t = target.flatten(1)
    n = w.sum(1).clamp(min=1)
    residual = (fit_scale_shift(pred, target, mask, nonnegative).flatten(1) - t) * w
    big = torch.finfo(t.dtype).max
    span = (torch.where(w > 0, t, -big).amax(1) - torch.where(w > 0, t, big).amin(1)).clamp(min=1e-3)
    rmse = ((residual * residual).sum(1) / n + 1e-10).sqrt() / span
    keep = w.sum(1) > 1
    return rmse[keep].mean() if keep.any() else pred.sum() * 0


def shift_invariant_berhu(pred, target, mask):
    """BerHu of pred against target after each image's best shift (their means in the mask agree): the
    depth's scale is learnt, its level, which an orthographic drawing cannot show, is not."""
    w = mask.float()
    n = w.sum((-1, -2)).clamp(min=1)
    shift = ((target - pred) * w).sum((-1, -2)) / n
    return berhu(pred + shift[:, None, None], target, mask)


SSI_WEIGHT = 1.0
ANCHOR_WEIGHT = 0.1


def mask_loss(logit, mask):
    target = mask.float()
    bce = F.binary_cross_entropy_with_logits(logit, target)
    p = torch.sigmoid(logit)
    inter = (p * target).sum((-1, -2))
    dice = 1 - (2 * inter + 1) / (p.sum((-1, -2)) + target.sum((-1, -2)) + 1)
    return bce + dice.mean()


def total(output, nearness, mask, aligned=False, ssi_weight=SSI_WEIGHT, widths=None, widths_weight=0.0):
    """Weighted sum and its parts, for logging.

    aligned: SSIM, BerHu and gradient compare the prediction after the evaluation's own fit (scale ≥ 0 +
    shift), so only the shape is learnt, the part that the relief and the metric use; the network no
    longer spends capacity on the absolute level, which an orthographic drawing cannot show, and an
    inverted guess costs what a flat one does, as in the evaluation.
    A small absolute BerHu keeps the output's scale from drifting.
    ssi_weight: the weight of the scale-and-shift-invariant RMSE, which is the evaluation's nRMSE itself.
    widths (B,), with widths_weight > 0: each figure's true depth ÷ width (NaN where unknown: several
    figures, perspective). The raw output is then taught depth in units of the figure's width, up to a
    shift (nearness × widths, shift-invariant BerHu, on the drawings that have it) in place of the
    anchor to [0, 1], so its range says how deep the figure is drawn (Auto depth reads it directly)."""
    pred, logit = output[:, 0], output[:, 1]
    shaped = fit_scale_shift(pred, nearness, mask, nonnegative=True) if aligned else pred
    parts = {"ssim": ssim(shaped, nearness, mask), "berhu": berhu(shaped, nearness, mask),
             "grad": gradient(shaped, nearness, mask), "mask": mask_loss(logit, mask),
             "ssi": scale_shift_invariant(pred, nearness, mask, nonnegative=aligned)}
    loss = 1.0 * parts["ssim"] + 0.6 * parts["berhu"] + 0.2 * parts["grad"] + parts["mask"] + ssi_weight * parts["ssi"]
    known = torch.isfinite(widths) if widths is not None and widths_weight > 0 else None
    if known is not None:
        if known.any():
            k = known.nonzero().squeeze(1)
            parts["widths"] = shift_invariant_berhu(pred[k], nearness[k] * widths[k, None, None], mask[k])
            loss = loss + widths_weight * parts["widths"]
    elif aligned:
        parts["anchor"] = berhu(pred, nearness, mask)
        loss = loss + ANCHOR_WEIGHT * parts["anchor"]
    return loss, {k: float(v.detach()) for k, v in parts.items()}
