"""Every number the app must reproduce, in one torch-free place (written into the model cards)."""

from __future__ import annotations

# segmenter
SEG_W, SEG_H = 256, 192  # 4:3; any image is stretched to this (PH² and restored HAM are 4:3 already)
SEG_MEAN = (0.5, 0.5, 0.5)
SEG_STD = (0.25, 0.25, 0.25)
SEG_WIDTHS = (12, 24, 48, 64, 96)
SEG_THRESHOLD = 0.5

# classifier
CLS_SIZE = 128
CLS_WIDTHS = (32, 64, 128, 256)
CLS_MEAN = (0.5, 0.5, 0.5)
CLS_STD = (0.25, 0.25, 0.25)
CROP_MARGIN = 0.25
CROP_MIN_FRACTION = 0.25
SOG_P = 6.0
