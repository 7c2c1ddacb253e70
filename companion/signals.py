"""What a model sees, computed per clip: the optical-flow speed images of ``signal="flow"``.

Frame differences (``signal="absdiff"``) need only the window, so :func:`companion.model.model_signal`
computes them on the fly. Optical flow needs OpenCV and neighbouring frames, so it is computed once
per clip, before the clip is cut into windows, and stored as uint8 images like the frames: the
windows, the batches and the caches stay the same for every signal. Introduced in notebook 05.
"""

from __future__ import annotations

import numpy as np

from companion.baselines import flow_magnitude
from companion.errors import CompanionError

__all__ = ["clip_signal", "flow_images"]


def flow_images(frames: np.ndarray, gain: float) -> np.ndarray:
    """Optical-flow speed of every pixel as uint8 images (T, H, W): ``round(255 * min(1, gain * speed))``.

    ``speed`` is :func:`companion.baselines.flow_magnitude` in pixels per frame (Farneback, from
    frame t - 1 to t; the first frame takes the second's map). With ``gain=0.25`` a speed of 4
    pixels per frame or more reads as 255. Introduced in notebook 05.
    """
    if not gain > 0:
        raise CompanionError(f"the flow gain must be > 0, got {gain}")
    speed = flow_magnitude(frames)
    return np.rint(np.clip(speed * gain, 0.0, 1.0) * 255.0).astype(np.uint8)


def clip_signal(frames: np.ndarray, config: object | None) -> np.ndarray:
    """The clip as a model of ``config`` sees it: the frames themselves, or their flow images.

    Only ``signal="flow"`` changes anything here (:func:`flow_images` with the config's
    ``signal_gain``); the other signals are computed per window by
    :func:`companion.model.model_signal`. Training and scoring both call it. Introduced in notebook 05.
    """
    if getattr(config, "signal", "frames") != "flow":
        return frames
    return flow_images(frames, float(getattr(config, "signal_gain", 1.0)))
