"""Regenerates digits8x8.txt from scikit-learn's copy of the UCI optical digits.

Run with any Python that has scikit-learn:  python make_digits8x8.py
Each line is one image in scikit-learn's order: the label (0-9), a space, then the 64 pixel
values (0-16) row by row, one character each from "0123456789abcdefg".
"""

from pathlib import Path

from sklearn.datasets import load_digits

SYMBOLS = "0123456789abcdefg"

digits = load_digits()
lines = [
    f"{int(label)} " + "".join(SYMBOLS[int(p)] for p in image)
    for label, image in zip(digits.target, digits.data)
]
out = Path(__file__).with_name("digits8x8.txt")
out.write_text("\n".join(lines) + "\n")
print(f"wrote {len(lines)} images to {out}")
