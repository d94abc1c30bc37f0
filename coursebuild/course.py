"""The course: its assignments in order and what each needs from the ones before it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.grader.course import course_folders

ROOT = Path(__file__).resolve().parents[1]
_FOLDERS = course_folders(ROOT)   # named in nbgrader_config.py, and only there
SOLUTIONS = ROOT / _FOLDERS["source_directory"]
RELEASE = ROOT / _FOLDERS["release_directory"]
BUILD = ROOT / "build"


@dataclass(frozen=True)
class Assignment:
    """One nbgrader assignment folder with one main notebook.

    provided: functions from earlier assignments' solutions that this one imports; they are
    written (with everything they call) to ``provided.py`` in the assignment folder.
    target_accuracy: the MNIST test accuracy the solution notebook must reach, if it trains.
    """

    name: str
    notebook: str
    title: str
    target_accuracy: float | None = None
    provided: tuple[str, ...] = ()

    @property
    def source(self) -> Path:
        return SOLUTIONS / self.name / self.notebook

    @property
    def release(self) -> Path:
        return RELEASE / self.name / self.notebook

    @property
    def notebook_id(self) -> str:
        return Path(self.notebook).stem


ASSIGNMENTS: tuple[Assignment, ...] = (
    Assignment("01_derivatives", "derivatives.ipynb",
               "Derivatives, finite differences and the chain rule"),
    Assignment("02_single_layer", "single_layer.ipynb",
               "Softmax regression: a single-layer network", target_accuracy=0.92),
    Assignment("03_multilayer", "multilayer.ipynb",
               "Multi-layer networks and backpropagation", target_accuracy=0.975,
               provided=("linear_forward", "linear_backward", "softmax_cross_entropy")),
    Assignment("04_initializers", "initializers.ipynb",
               "Weight initialization",
               provided=("mlp_forward", "mlp_backward", "mlp_loss")),
    Assignment("05_optimizers", "optimizers.ipynb",
               "Optimizers and learning-rate schedules",
               provided=("mlp_forward", "mlp_loss", "init_mlp", "he_normal", "xavier_uniform")),
    Assignment("06_experiments", "experiments.ipynb",
               "Experiments: the grid, confusion matrices and PyTorch", target_accuracy=0.98,
               provided=("mlp_forward", "mlp_loss", "init_mlp", "xavier_uniform", "xavier_normal",
                         "he_uniform", "he_normal", "sgd", "sgd_momentum", "adam")),
    Assignment("07_regularization", "regularization.ipynb",
               "Dropout, batch normalization and layer normalization", target_accuracy=0.984,
               provided=("linear_forward", "linear_backward", "softmax_cross_entropy",
                         "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
                         "tanh_forward", "tanh_backward", "init_mlp", "he_normal", "sgd", "adam")),
)


def assignment(name: str) -> Assignment:
    for item in ASSIGNMENTS:
        if item.name == name or item.name.startswith(name):
            return item
    raise KeyError(f"no assignment {name!r}; the course has {', '.join(a.name for a in ASSIGNMENTS)}")


def existing() -> tuple[Assignment, ...]:
    """The assignments whose solution notebook exists (all seven once the course is complete)."""
    return tuple(a for a in ASSIGNMENTS if a.source.exists())
