"""Draws the example drawings in this folder (deterministic; run to regenerate the PNGs)."""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).parent
INK = (20, 20, 20)


def bottle(size=(480, 640)) -> Image.Image:
    """A perfume bottle in front view: body, shoulder, neck and cap, with a label panel."""
    img = Image.new("RGB", size, (250, 249, 245))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([110, 250, 370, 580], radius=60, outline=INK, width=5)
    d.polygon([(170, 250), (310, 250), (280, 200), (200, 200)], outline=INK, width=5)
    d.rectangle([205, 150, 275, 200], outline=INK, width=5)
    d.rounded_rectangle([185, 70, 295, 150], radius=14, outline=INK, width=5)
    d.rounded_rectangle([160, 340, 320, 480], radius=10, outline=INK, width=2)
    d.line([(240, 60), (240, 595)], fill=INK, width=1)   # centre line
    return img


def gear(size=(560, 560), teeth=14) -> Image.Image:
    """A spur gear with a bore and a keyway, front view."""
    img = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(img)
    cx, cy = size[0] / 2, size[1] / 2
    points = []
    for k in range(teeth * 4):
        angle = 2 * np.pi * k / (teeth * 4)
        r = 240 if (k % 4) in (1, 2) else 200
        points.append((cx + r * np.cos(angle), cy + r * np.sin(angle)))
    d.polygon(points, outline=INK, width=5)
    d.ellipse([cx - 150, cy - 150, cx + 150, cy + 150], outline=INK, width=2)
    d.ellipse([cx - 60, cy - 60, cx + 60, cy + 60], outline=INK, width=5)
    d.rectangle([cx - 14, cy - 78, cx + 14, cy - 56], fill=(255, 255, 255), outline=INK, width=4)
    return img


def bracket(size=(640, 420)) -> Image.Image:
    """An L-bracket with two holes and a fillet, front view, shaded flat fill."""
    img = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(img)
    outline = [(60, 60), (160, 60), (160, 280), (580, 280), (580, 360), (60, 360)]
    d.polygon(outline, fill=(214, 222, 232), outline=INK, width=5)
    for x in (300, 480):
        d.ellipse([x - 22, 298, x + 22, 342], fill=(255, 255, 255), outline=INK, width=4)
    d.ellipse([88, 110, 132, 154], fill=(255, 255, 255), outline=INK, width=4)
    return img


def main():
    for name, make in (("bottle", bottle), ("gear", gear), ("bracket", bracket)):
        make().save(HERE / f"{name}.png", optimize=True)
        print(f"wrote {name}.png")


if __name__ == "__main__":
    main()
