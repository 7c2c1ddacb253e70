"""Optical flow, and the flow images a ``signal="flow"`` model sees instead of the frames.

Optical flow needs OpenCV and neighbouring frames, so it is computed once per clip, before the
clip is cut into windows, and stored as uint8 images like the frames: the windows, the batches and
the caches stay the same for every signal. The flow-speed baselines use :func:`flow_magnitude` too.
Which models see flow images is decided in :mod:`companion.task`. Introduced in notebook 06.
"""

from __future__ import annotations

import cv2
import numpy as np

from companion.errors import CompanionError

__all__ = ["flow_images", "flow_magnitude"]


def flow_magnitude(frames: np.ndarray) -> np.ndarray:
    """Dense optical-flow speed per pixel, (T, H, W) in pixels per frame (OpenCV's Farneback).

    Flow from frame t - 1 to frame t; the first frame gets the second frame's map, so every
    frame has one.
    """
    x = np.asarray(frames)
    if x.ndim != 3 or len(x) < 2:
        raise CompanionError(f"optical flow needs frames (T, H, W) with T >= 2, got shape {x.shape}")
    grey = x if x.dtype == np.uint8 else np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)
    speeds = [
        np.linalg.norm(cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 9, 3, 5, 1.1, 0), axis=2)
        for a, b in zip(grey[:-1], grey[1:])
    ]
    return np.stack(speeds[:1] + speeds).astype(np.float32)


def flow_images(frames: np.ndarray, gain: float) -> np.ndarray:
    """Optical-flow speed of every pixel as uint8 images (T, H, W): ``round(255 * min(1, gain * speed))``.

    ``speed`` is :func:`flow_magnitude` in pixels per frame (Farneback, from frame t - 1 to t; the
    first frame takes the second's map). With ``gain=0.25`` a speed of 4 pixels per frame or more
    reads as 255. Introduced in notebook 06.
    """
    if not gain > 0:
        raise CompanionError(f"the flow gain must be > 0, got {gain}")
    speed = flow_magnitude(frames)
    return np.rint(np.clip(speed * gain, 0.0, 1.0) * 255.0).astype(np.uint8)
