"""How to train: :class:`TrainSettings` and the default settings of each model configuration.

Introduced in notebook 04.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from companion.errors import CompanionError, without_removed

__all__ = [
    "DEFAULT_SCORING",
    "EPOCH_BUDGETS",
    "EpochBudget",
    "RECOMMENDED_CONFIG",
    "RECOMMENDED_SCORING",
    "REMOVED_SETTINGS",
    "TRAIN_DEFAULTS",
    "TRAIN_ON",
    "TrainSettings",
    "default_settings",
    "epochs_for",
    "recommended_scoring",
]

#: Which frames train a model (``--train-on``): the Train clips (the paper protocol), or the
#: ground-truth-normal frames of Test clips (data without a Train split, like the real sample).
TRAIN_ON = ("train", "normal-test-frames")

#: Options of earlier versions, with the value that trained as today (older checkpoints store it).
REMOVED_SETTINGS: dict[str, Any] = {"noise_std": 0.0}


@dataclass(frozen=True)
class TrainSettings:
    """How to train (everything but the model and the data).

    ``epochs`` is the total number of epochs of the run (a resumed run trains up to it);
    ``stride`` is the step between training windows (validation windows use it too);
    ``max_inversion`` trains on ``max(x, 1 - x)`` (the challenge report's transform);
    ``val_fraction`` is the share of the ``train``-split clips held out whole for validation.
    """

    epochs: int = 10
    batch_size: int = 8
    lr: float = 1e-4
    stride: int = 1
    max_inversion: bool = False
    seed: int = 0
    val_fraction: float = 0.2

    def __post_init__(self) -> None:
        problems = []
        if self.epochs < 0:
            problems.append(f"epochs must be >= 0, got {self.epochs}")
        if self.batch_size < 1:
            problems.append(f"batch_size must be >= 1, got {self.batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            problems.append(f"lr must be a positive number, got {self.lr}")
        if self.stride < 1:
            problems.append(f"stride must be >= 1, got {self.stride}")
        if not 0 <= self.val_fraction < 1:
            problems.append(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if problems:
            raise CompanionError("invalid training settings: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainSettings:
        """The settings a checkpoint stores (``to_dict()``); a removed option at its neutral value
        (:data:`REMOVED_SETTINGS`, as older checkpoints store it) is dropped, any other is refused."""
        d = without_removed(d, REMOVED_SETTINGS, "training settings")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise CompanionError(f"unknown training settings {unknown} (known: {sorted(names)})")
        return cls(**d)


#: Default settings per model configuration. ``report`` and ``keras-readme`` follow the seed
#: documents (Adam, lr 1e-4, batch 8). ``cpu`` is tuned (benchmarks/bench_train.py) so that the
#: small model learns the synthetic default dataset within 3 minutes on 2 CPU cores: after 15
#: epochs of 171 windows (batch 8, stride 2) the validation MSE was 0.0115 with lr 1e-4 (barely
#: started), 0.0025 with 1e-3, 0.0023 with 3e-3 and 0.0018 with 1e-2; 3e-3 is the compromise
#: between speed and the stability margin a recurrent model needs on other data.
TRAIN_DEFAULTS: dict[str, TrainSettings] = {
    "report": TrainSettings(epochs=20, batch_size=8, lr=1e-4, stride=1),
    "keras-readme": TrainSettings(epochs=20, batch_size=8, lr=1e-4, stride=1),
    "cpu": TrainSettings(epochs=20, batch_size=8, lr=3e-3, stride=2),
    "flow-next": TrainSettings(epochs=30, batch_size=8, lr=3e-3, stride=2),
    # 15 epochs: at 96x144 an epoch costs 2.7x one at 64x96, and Ped1's Train split must train in
    # 15 minutes on 2 cores (benchmarks/bench_ped1_size.py; results.md gives the measured time);
    # smaller splits train longer in no more time (EPOCH_BUDGETS, below).
    "flow-next-96x144": TrainSettings(epochs=15, batch_size=8, lr=3e-3, stride=2),
}


@dataclass(frozen=True)
class EpochBudget:
    """Epochs that grow where the training data is small, in no more time than the largest split.

    A run with ``n`` training windows trains ``min(most, max(epochs, ceil(windows / n)))`` epochs,
    ``epochs`` being the configuration's own: as many windows as ``windows`` (what its own epochs see
    on the largest split it is meant for), at most ``most`` epochs. Introduced in notebook 06.
    """

    windows: int
    most: int

    def epochs(self, least: int, train_windows: int) -> int:
        """The epochs of a run with ``train_windows`` windows, ``least`` the configuration's own epochs."""
        return min(self.most, max(least, math.ceil(self.windows / max(1, train_windows))))


#: The configurations whose epochs grow on small data when ``--epochs`` is not given:
#: ``flow-next-96x144`` trains as many windows as its 15 epochs on Ped1's Train split (2619 windows,
#: benchmarks/bench_ped1_size.py), at most 60 epochs, the length chosen by nested cross-validation
#: on the real sample (benchmarks/real_ped1_epochs.py). The one place that says so.
EPOCH_BUDGETS: dict[str, EpochBudget] = {"flow-next-96x144": EpochBudget(windows=15 * 2619, most=60)}


def epochs_for(config_name: str | None, epochs: int, train_windows: int) -> int:
    """The epochs a run of ``config_name`` trains when none are given: ``epochs`` (the configuration's
    default), or more on small data where :data:`EPOCH_BUDGETS` says so. Introduced in notebook 06."""
    budget = EPOCH_BUDGETS.get(config_name or "")
    return epochs if budget is None else budget.epochs(epochs, train_windows)


def default_settings(config_name: str | None = "cpu", **overrides: Any) -> TrainSettings:
    """The default :class:`TrainSettings` of a configuration, with ``overrides`` (``None`` = keep).

    Introduced in notebook 04.
    """
    base = TRAIN_DEFAULTS.get(config_name or "cpu", TrainSettings())
    return dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None})


#: The course's recommended detector for real footage: what ``companion train`` trains when no
#: ``--config`` is given (notebook 06, "On real footage"; the results page gives its figures):
#: notebook 06's ``flow-next`` at 96x144, the input size chosen by nested cross-validation
#: (benchmarks/real_ped1_resolution.py).
RECOMMENDED_CONFIG = "flow-next-96x144"

#: How a run of each configuration is scored unless told otherwise: a name of
#: ``companion.evaluation.SCORINGS``, recorded in the run's checkpoint when it is trained (its
#: ``scoring`` entry) and used by ``companion evaluate`` without scoring options. The one place that
#: says what a configuration's recommended scoring is; a configuration not listed gets DEFAULT_SCORING.
RECOMMENDED_SCORING: dict[str, str] = {"flow-next": "mean+zp99", "flow-next-96x144": "mean+zp99"}
DEFAULT_SCORING = "mse"


def recommended_scoring(config_name: str | None) -> str:
    """The scoring a run of the configuration ``config_name`` records (:data:`RECOMMENDED_SCORING`)."""
    return RECOMMENDED_SCORING.get(config_name or "", DEFAULT_SCORING)
