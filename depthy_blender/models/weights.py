"""Shipped weights: locate, verify (sha256 from the model card), load (weights_only=True)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import DepthyError

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
DEPTHY_NAME = "depthy-0.15.0"


class WeightsError(DepthyError, RuntimeError):
    """Missing, modified or unreadable weights, with a message meant for the user."""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def locate(name: str = DEPTHY_NAME, folder: Path = WEIGHTS_DIR) -> tuple[Path, Path]:
    """(weights .pt, model card .json); raises WeightsError if either is missing."""
    pt, card = folder / f"{name}.pt", folder / f"{name}.json"
    if not pt.is_file() or not card.is_file():
        raise WeightsError(f"Weights {name} are not installed (expected {pt.name} and {card.name} in {folder})")
    return pt, card


def model_card(name: str = DEPTHY_NAME, folder: Path = WEIGHTS_DIR) -> dict:
    return json.loads(locate(name, folder)[1].read_text())


def load_state_dict(name: str = DEPTHY_NAME, folder: Path = WEIGHTS_DIR) -> dict:
    """The verified state dict (tensors as stored, usually fp16)."""
    return load_verified(name, folder)[0]


def load_verified(name: str = DEPTHY_NAME, folder: Path = WEIGHTS_DIR) -> tuple[dict, dict]:
    """(state dict, model card) of weights whose sha256 matches their card; refuses any other."""
    import torch
    pt, card_path = locate(name, folder)
    card = json.loads(card_path.read_text())
    expected = card.get("sha256")
    actual = sha256(pt)
    if actual != expected:
        raise WeightsError(f"{pt.name} does not match its model card (sha256 {actual[:12]}… ≠ {str(expected)[:12]}…): "
                           "the file was modified or damaged; reinstall the add-on")
    try:
        return torch.load(pt, map_location="cpu", weights_only=True), card
    except Exception as exc:
        raise WeightsError(f"Cannot read {pt.name}: {exc}") from None


def save(state_dict: dict, card: dict, name: str = DEPTHY_NAME, folder: Path = WEIGHTS_DIR) -> Path:
    """Write fp16 weights and a model card carrying their sha256."""
    import torch
    folder.mkdir(parents=True, exist_ok=True)
    pt = folder / f"{name}.pt"
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in state_dict.items()}
    torch.save(half, pt)
    card = dict(card, file=pt.name, sha256=sha256(pt), size_bytes=pt.stat().st_size)
    (folder / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    return pt


def locate_onnx(name: str = DEPTHY_NAME, folder: Path = WEIGHTS_DIR) -> tuple[Path, dict]:
    """(exported graph .onnx, model card); raises WeightsError when the package carries no graph."""
    card_path, graph = folder / f"{name}.json", folder / f"{name}.onnx"
    if not card_path.is_file() or not graph.is_file():
        raise WeightsError(f"Weights {name} for ONNX Runtime are not installed (expected {graph.name} and "
                           f"{card_path.name} in {folder})")
    try:
        card = json.loads(card_path.read_text())
    except ValueError:
        raise WeightsError(f"{card_path.name} is damaged; reinstall the add-on") from None
    if not isinstance(card, dict) or not isinstance(card.get("onnx"), dict):
        raise WeightsError(f"{card_path.name} does not describe {graph.name}; reinstall the add-on")
    return graph, card


def verified_onnx(name: str = DEPTHY_NAME, folder: Path = WEIGHTS_DIR) -> Path:
    """The exported graph, refused unless its sha256 matches the model card's `onnx` entry."""
    graph, card = locate_onnx(name, folder)
    expected = card["onnx"].get("sha256")
    actual = sha256(graph)
    if not isinstance(expected, str) or actual != expected:
        raise WeightsError(f"{graph.name} does not match its model card (sha256 {actual[:12]}… ≠ "
                           f"{str(expected)[:12]}…): the file was modified or damaged; reinstall the add-on")
    return graph
