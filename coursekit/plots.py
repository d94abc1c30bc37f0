"""Figures the notebooks share: training curves and image grids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .training import History


def plot_histories(histories: Mapping[str, History] | History, title: str = ""):
    """Loss (train and validation) and validation accuracy per epoch, one line per run."""
    if isinstance(histories, History):
        histories = {"": histories}
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    for label, history in histories.items():
        line, = ax_loss.plot(history.epochs, history.train_loss, marker="o",
                             label=f"{label} train".strip())
        ax_loss.plot(history.epochs, history.val_loss, marker="o", linestyle="--",
                     color=line.get_color(), label=f"{label} validation".strip())
        ax_acc.plot(history.epochs, history.val_accuracy, marker="o", color=line.get_color(),
                    label=label or "validation")
    ax_loss.set(xlabel="epoch", ylabel="mean cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="validation accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(images: np.ndarray, image_shape: tuple[int, int],
                titles: Sequence[str] | None = None, ncols: int = 10, cmap: str = "gray",
                symmetric: bool = False, title: str = ""):
    """Draw rows of ``images`` (K, H*W) as a grid of H x W pictures.

    ``symmetric=True`` centres the colour map on zero (for weights: red positive, blue negative).
    """
    images = np.asarray(images)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.5 * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(images):
            continue
        picture = images[k].reshape(image_shape)
        if symmetric:
            limit = np.abs(picture).max() or 1.0
            ax.imshow(picture, cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            ax.imshow(picture, cmap=cmap)
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
