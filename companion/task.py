"""What a model is trained to do, decided in one place: what it sees, and which output is compared
with which frame.

Training (:func:`companion.train.fit`), validation and scoring
(:func:`companion.scoring.reconstruction_errors`) all ask these functions, so that a model is
validated and scored on exactly the objective it was trained on.

- :func:`model_view`: a clip as the model sees it: its frames, or (``signal="flow"``) their
  optical-flow images, computed once per clip before windowing.
- :func:`compared`: ``(prediction, target, offset)`` of a batch of windows: a reconstruction
  model's output k against frame k; a next-frame model's output k (the ConvLSTM is causal: it has
  seen frames up to k) against frame k + 1, so the first frame of a window has no error (offset 1).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from companion.model import ModelConfig
from companion.signals import flow_images
from companion.tensors import max_inversion, to_model_input

__all__ = ["compared", "config_of", "describe_errors", "model_input", "model_view"]


def config_of(model: torch.nn.Module, given: ModelConfig | None = None) -> ModelConfig | None:
    """The configuration that says what ``model`` does: ``given`` when there is one, else the
    model's own ``config`` (every model of :func:`companion.model.build_model` has one); None for a
    model without either, which reconstructs its input frames.
    """
    if given is not None:
        return given
    own = getattr(model, "config", None)
    return own if isinstance(own, ModelConfig) else None


def model_view(frames: np.ndarray, config: ModelConfig | None) -> np.ndarray:
    """A clip (T, H, W) as a model of ``config`` sees it: the frames, or their flow images
    (:func:`companion.signals.flow_images` with the config's ``signal_gain``).
    """
    if config is None or config.signal == "frames":
        return frames
    return flow_images(frames, float(config.signal_gain))


def model_input(windows: np.ndarray | Tensor, device: torch.device | str | None, invert: bool = False) -> Tensor:
    """A batch of uint8 windows (B, T, H, W) as the model's float input (B, T, 1, H, W) on ``device``,
    max-inverted when the model was trained so.
    """
    x = to_model_input(windows, device)
    return max_inversion(x) if invert else x


def compared(out: Tensor, x: Tensor, config: ModelConfig | None) -> tuple[Tensor, Tensor, int]:
    """``(prediction, target, offset)``: what the loss and the error maps compare, for the model's
    output ``out`` on input windows ``x`` (B, T, C, H, W); step k of ``prediction`` stands for frame
    k + ``offset`` of the window. Introduced in notebook 04.
    """
    if config is not None and config.target == "next":
        return out[:, :-1], x[:, 1:], 1
    return out, x, 0


def describe_errors(config: ModelConfig | None) -> str:
    """The errors of such a model, in words (for protocol sentences)."""
    return "next-frame prediction errors" if config is not None and config.target == "next" else "reconstruction errors"
