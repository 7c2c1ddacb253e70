"""The course's models: shipped reference runs on the synthetic default, trained runs elsewhere.

Training is not bit-for-bit the same on another CPU, thread count or GPU (sums of floating-point
numbers are taken in other orders), and after a few hundred optimizer steps two runs of the same
code differ in their second digit. So that the stored figures of notebooks 05 and 06 hold on every
machine, the package ships the models that they analyse, trained once on the synthetic
default by :func:`train_recipe` (``make reference-models``; see ``reference/README.md``), with
their weights only (no optimizer state). On any other data, :func:`course_run` trains the same
recipe into ``runs/`` the first time and reuses that run afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from companion.checkpoints import CHECKPOINT_NAME, load_checkpoint, load_model, save_checkpoint
from companion.errors import CompanionError
from companion.layout import open_dataset
from companion.settings import default_settings
from companion.synth import VERSION, default_dataset
from companion.train import TrainResult, train

REFERENCE_DIR = Path(__file__).with_name("reference")
SYNTH_ID = f"v{VERSION}-seed0"  # the synthetic default the reference runs were trained on


@dataclass(frozen=True)
class Recipe:
    """A course model: a configuration of ``companion.model.CONFIGS`` and whether it keeps its memory."""

    config: str
    recurrent: bool = True
    about: str = ""


RECIPES: dict[str, Recipe] = {
    "cpu": Recipe("cpu", about="the course's ConvLSTM autoencoder of grey frames (notebook 04)"),
    "cpu-2d": Recipe("cpu", recurrent=False, about="its ablation without memory: per-frame convolutions"),
    "flow-next": Recipe("flow-next", about="the ConvLSTM that predicts the next optical-flow image"),
    "flow-next-2d": Recipe("flow-next", recurrent=False, about="its ablation without memory"),
    "report": Recipe("report", about="the challenge report's configuration (COURSE_PROFILE=full, for a GPU)"),
    "report-2d": Recipe("report", recurrent=False, about="its ablation without memory"),
}
SHIPPED = ("cpu", "cpu-2d", "flow-next", "flow-next-2d")  # trained on a CPU in minutes: in companion/reference/


# $COURSE_PROFILE -> (the course model of notebooks 04 and 05, epochs; None: the package's default)
PROFILES: dict[str, tuple[str, int | None]] = {"cpu": ("cpu", None), "full": ("report", None), "quick": ("cpu", 2)}


def course_profile() -> tuple[str, int | None]:
    """``(model name, epochs)`` for ``$COURSE_PROFILE``: ``cpu`` (default), ``full`` (the report's
    configuration, for a GPU) or ``quick`` (2 epochs of everything: checks that the notebooks run
    on new data, nothing more). ``epochs=None`` means the package's default. Introduced in notebook 04.
    """
    profile = os.environ.get("COURSE_PROFILE", "cpu")
    if profile not in PROFILES:
        raise CompanionError(f"COURSE_PROFILE={profile!r}: choose one of {', '.join(PROFILES)}")
    return PROFILES[profile]


def _recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise CompanionError(f"no course model {name!r}: choose one of {', '.join(RECIPES)}")
    return RECIPES[name]


def train_recipe(name: str, root: str | Path, out: str | Path | None, **options: Any) -> TrainResult:
    """Train the course model ``name`` (a key of :data:`RECIPES`) with the package's default settings.

    ``options`` are :func:`companion.train.train`'s (dataset, train_on, device, progress, ...).
    """
    recipe = _recipe(name)
    return train(root, out, config=recipe.config, recurrent=recipe.recurrent, **options)


def export_reference(run: str | Path, dest: str | Path) -> Path:
    """Copy a run on the synthetic default to ``dest/checkpoint.pt``, weights only (no optimizer state).

    The maintainers' step behind ``make reference-models``; refuses to overwrite.
    """
    dest = Path(dest)
    if (dest / CHECKPOINT_NAME).exists():
        raise CompanionError(f"{dest / CHECKPOINT_NAME} exists: nothing was overwritten; remove it first")
    ckpt = load_checkpoint(run)
    keep = ("format", "model_config", "preprocessing", "data", "settings", "versions", "epoch", "history", "best_val_loss", "model_state")
    slim = {k: ckpt[k] for k in keep + (("scoring",) if "scoring" in ckpt else ())}  # older runs record no scoring
    slim["data"] = {**ckpt["data"], "root": "the synthetic default (companion.synth.default_dataset())", "synth": SYNTH_ID}
    return save_checkpoint(slim, dest / CHECKPOINT_NAME)


def reference_run(name: str, root: str | Path, dataset: str | None = None) -> Path | None:
    """The shipped run folder of ``name`` when ``root`` is the synthetic default it was trained on, else None.

    The synthetic default is identified by its generator's version and seed, not by its bytes:
    another CPU may round a few pixels of it the other way, which changes no figure the course prints.
    """
    path = REFERENCE_DIR / name / CHECKPOINT_NAME
    if name not in SHIPPED or not path.is_file() or dataset not in (None, "synth") or Path(root).resolve() != default_dataset().resolve():
        return None
    return path.parent if load_checkpoint(path)["data"].get("synth") == SYNTH_ID else None


def course_run(
    name: str, root: str | Path, runs: str | Path, *, dataset: str | None = None, train_on: str = "train",
    epochs: int | None = None, device: str = "auto", progress: bool = True,
) -> Path:
    """The run folder of the course model ``name`` for the data in ``root``.

    On the synthetic default: the shipped reference run (the same figures on every machine).
    Elsewhere (or with ``epochs`` other than the default): ``runs/course-<name>`` when it holds a
    run of this recipe trained on this data for as many epochs;
    otherwise that recipe is trained now, into a temporary folder renamed into place when it
    is complete (an interrupted run never takes the place of a finished one). Introduced in
    notebook 05.
    """
    recipe = _recipe(name)
    default_epochs = default_settings(recipe.config).epochs
    epochs = epochs or default_epochs
    ref = reference_run(name, root, dataset) if epochs == default_epochs else None
    if ref is not None:
        return ref
    runs = Path(runs)
    run = runs / f"course-{name}"
    if (run / CHECKPOINT_NAME).is_file():
        ckpt = load_checkpoint(run)
        same = (
            ckpt["model_config"].get("name") == recipe.config
            and bool(ckpt["model_config"].get("recurrent", True)) == recipe.recurrent
            and ckpt["data"].get("root") == str(open_dataset(root, dataset=dataset).root.resolve())
            and ckpt["data"].get("train_on") == train_on
            and ckpt["settings"].get("epochs") == epochs == ckpt["epoch"]
        )
        if same:
            return run
    print(f"training {name!r} ({recipe.about}), {epochs} epochs, on this data into {run}")
    with staged_run(run) as staging:
        train_recipe(name, root, staging, dataset=dataset, train_on=train_on, epochs=epochs, device=device,
                     progress=progress, verbose=False)
    return run


def course_model(
    name: str, root: str | Path, runs: str | Path, *, dataset: str | None = None, train_on: str = "train",
    epochs: int | None = None, device: str = "cpu",
) -> tuple[torch.nn.Module, dict[str, Any], Path, str]:
    """``(model, checkpoint, run folder, where)`` of the course model ``name``: :func:`course_run`'s run
    loaded on ``device``; ``where`` says, for the notebooks' output, whether it is the shipped
    reference run or a run trained on this data. Introduced in notebook 05.
    """
    run = course_run(name, root, runs, dataset=dataset, train_on=train_on, epochs=epochs, device=device)
    where = f"reference run companion/reference/{name}" if run.parent == REFERENCE_DIR else f"your run {run}"
    model, ckpt = load_model(run, device=device)
    return model, ckpt, run, where


@contextmanager
def staged_run(run: str | Path) -> Iterator[Path]:
    """A fresh folder to train into, beside ``run``; when the block ends without an error, it takes
    the place of ``run`` (:func:`replace_run`). An error leaves ``run`` as it was and the fresh
    folder is removed: a half-finished run never takes the place of a complete one.
    Introduced in notebook 04.
    """
    run = Path(run)
    run.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{run.name}-", dir=run.parent))
    try:
        yield staging / "run"
        replace_run(staging / "run", run)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def replace_run(new: Path, run: Path) -> None:
    """Put the complete run folder ``new`` in the place of ``run`` (the old one set aside, then removed).

    Introduced in notebook 04.
    """
    old = run.with_name(f".{run.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if run.exists():
        run.rename(old)
    new.rename(run)
    shutil.rmtree(old, ignore_errors=True)
