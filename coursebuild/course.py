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
    derived: the graded functions whose gradients the student derives by hand (the backward
    passes and the checkpoints that prepare them): the grader fails a test in which one of
    them computed its result with an autodiff library (``autograder.grader.derived``).
    """

    name: str
    notebook: str
    title: str
    target_accuracy: float | None = None
    provided: tuple[str, ...] = ()
    derived: tuple[str, ...] = ()

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
               "Derivatives, finite differences and the chain rule",
               derived=("sigmoid_grad", "tanh_grad", "relu_grad", "softmax_cross_entropy_grad",
                        "checkpoint_activation_grads", "checkpoint_softmax_jacobian",
                        "checkpoint_softmax_cross_entropy_grad")),
    Assignment("02_single_layer", "single_layer.ipynb",
               "Softmax regression: a single-layer network", target_accuracy=0.92,
               derived=("linear_backward_loop", "linear_backward", "softmax_cross_entropy",
                        "checkpoint_linear_dW", "checkpoint_linear_dx", "checkpoint_linear_db",
                        "checkpoint_softmax_cross_entropy")),
    Assignment("03_multilayer", "multilayer.ipynb",
               "Multi-layer networks and backpropagation", target_accuracy=0.975,
               provided=("linear_forward", "linear_backward", "softmax_cross_entropy"),
               derived=("relu_backward", "sigmoid_backward", "tanh_backward", "mlp_backward", "mlp_loss",
                        "backward_through_loss", "backward_through_normalization",
                        "backward_through_max_shift", "backward_through_layers", "checkpoint_relu_dx",
                        "checkpoint_sigmoid_dx", "checkpoint_tanh_dx", "checkpoint_mlp_dW2",
                        "checkpoint_mlp_dA1", "checkpoint_weight_decay", "checkpoint_softmax_steps",
                        "checkpoint_max_shift")),
    Assignment("04_initializers", "initializers.ipynb",
               "Weight initialization",
               provided=("mlp_forward", "mlp_backward", "mlp_loss")),
    Assignment("05_optimizers", "optimizers.ipynb",
               "Optimizers and learning-rate schedules",
               provided=("mlp_forward", "mlp_loss", "init_mlp", "he_normal", "xavier_uniform")),
    Assignment("06_experiments", "experiments.ipynb",
               "Experiments: the grid, confusion matrices and PyTorch", target_accuracy=0.98,
               provided=("mlp_forward", "mlp_loss", "init_mlp", "xavier_uniform", "xavier_normal",
                         "he_uniform", "he_normal", "sgd", "sgd_momentum", "adam"),
               derived=("fixed_backward", "checkpoint_tanh_layer")),
    Assignment("07_regularization", "regularization.ipynb",
               "Dropout, batch normalization and layer normalization", target_accuracy=0.984,
               provided=("linear_forward", "linear_backward", "softmax_cross_entropy",
                         "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
                         "tanh_forward", "tanh_backward", "init_mlp", "he_normal", "sgd", "adam"),
               derived=("dropout_backward", "batchnorm_backward", "batchnorm_backward_closed",
                        "layernorm_backward", "regularized_mlp_loss", "checkpoint_dropout",
                        "checkpoint_batchnorm_staged", "checkpoint_batchnorm_closed",
                        "checkpoint_layernorm", "checkpoint_hidden_layer")),
)


def assignment(name: str) -> Assignment:
    for item in ASSIGNMENTS:
        if item.name == name or item.name.startswith(name):
            return item
    raise KeyError(f"no assignment {name!r}; the course has {', '.join(a.name for a in ASSIGNMENTS)}")


def existing() -> tuple[Assignment, ...]:
    """The assignments whose solution notebook exists (all seven once the course is complete)."""
    return tuple(a for a in ASSIGNMENTS if a.source.exists())
