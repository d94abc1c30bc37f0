"""Batch normalization's forward pass as a computational graph, with a shape on every edge.

``draw_batchnorm_graph()`` draws one box per operation (mean, subtract, variance, inverse
standard deviation, multiply, scale and shift). Every edge carries, in black, the forward
value with its shape (symbolic and for the given sizes) and, in red, the *name* and shape
of the gradient that flows back along it. The backward formulas are left out on purpose:
deriving them is the exercise.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

FORWARD, BACKWARD = "black", "#c0392b"


def _box(ax, xy, text, color="#eaf2fb", width=1.55, height=0.8):
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.05", facecolor=color, edgecolor="#34495e"))
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _edge(ax, start, end, forward_label, backward_label, side=1.0, shrink=0.95):
    """A black forward arrow start -> end and a red backward arrow end -> start beside it."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    direction = (end - start) / np.linalg.norm(end - start)
    normal = np.array([-direction[1], direction[0]]) * side
    a, b = start + shrink * direction, end - shrink * direction
    offset = 0.09 * normal
    ax.annotate("", xy=b + offset, xytext=a + offset,
                arrowprops=dict(arrowstyle="-|>", color=FORWARD, lw=1.5, shrinkA=0, shrinkB=0))
    ax.annotate("", xy=a - offset, xytext=b - offset,
                arrowprops=dict(arrowstyle="-|>", color=BACKWARD, lw=1.5, shrinkA=0, shrinkB=0))
    middle = (a + b) / 2
    ax.text(*(middle + 0.42 * normal), forward_label, ha="center", va="center", fontsize=8.5,
            color=FORWARD)
    ax.text(*(middle - 0.42 * normal), backward_label, ha="center", va="center", fontsize=8.5,
            color=BACKWARD)


def draw_batchnorm_graph(batch: int = 128, features: int = 512):
    """Draw batch normalization of a batch x of shape (N, D) as a graph; returns the figure.

    batch: N, features: D (the sizes named in the title; edges carry symbolic shapes).
    """
    fig, ax = plt.subplots(figsize=(16, 6.2))
    ax.set_xlim(-1.0, 19.0)
    ax.set_ylim(-2.4, 4.6)
    ax.axis("off")

    nodes = {
        "x": (0.0, 0.0), "mean": (2.6, 2.8), "sub": (5.2, 0.0), "var": (8.0, 2.8),
        "inv": (11.0, 2.8), "mul": (13.4, 0.0), "affine": (16.0, 0.0), "out": (18.4, 0.0),
    }
    ax.text(*nodes["x"], "$x$", ha="center", va="center", fontsize=15)
    ax.text(*nodes["out"], "out", ha="center", va="center", fontsize=12)
    _box(ax, nodes["mean"], "mean over\nthe batch")
    _box(ax, nodes["sub"], "subtract", color="#fdf2e9")
    _box(ax, nodes["var"], "square, mean\nover the batch")
    _box(ax, nodes["inv"], r"$(\,\cdot + \varepsilon)^{-1/2}$")
    _box(ax, nodes["mul"], "multiply", color="#fdf2e9")
    _box(ax, nodes["affine"], r"$\gamma \odot \cdot + \beta$", color="#fdf2e9")

    _edge(ax, nodes["x"], nodes["mean"], "$x$  $(N, D)$", "$dx$, path 1  $(N, D)$", shrink=0.75)
    _edge(ax, nodes["x"], nodes["sub"], "$x$  $(N, D)$", "$dx$, path 2  $(N, D)$", side=-1.0,
          shrink=0.55)
    _edge(ax, nodes["mean"], nodes["sub"], r"$\mu$  $(D,)$", r"$d\mu$  $(D,)$")
    _edge(ax, nodes["sub"], nodes["var"], r"$x_c = x - \mu$  $(N, D)$",
          r"$dx_c$, path 1  $(N, D)$")
    _edge(ax, nodes["var"], nodes["inv"], r"$v$  $(D,)$", r"$dv$  $(D,)$", shrink=0.9)
    _edge(ax, nodes["inv"], nodes["mul"], r"$s$  $(D,)$", r"$ds$  $(D,)$", shrink=0.9)
    _edge(ax, nodes["sub"], nodes["mul"], r"$x_c$  $(N, D)$", r"$dx_c$, path 2  $(N, D)$",
          side=-1.0, shrink=0.9)
    _edge(ax, nodes["mul"], nodes["affine"], r"$\hat x$  $(N, D)$", r"$d\hat x$  $(N, D)$",
          shrink=0.9)
    _edge(ax, nodes["affine"], nodes["out"], "out  $(N, D)$", r"$d\,$out  $(N, D)$",
          shrink=0.95)

    for symbol, x in ((r"$\gamma$", 15.6), (r"$\beta$", 16.4)):
        ax.annotate("", xy=(x, 0.45), xytext=(x, 2.3),
                    arrowprops=dict(arrowstyle="-|>", color=FORWARD, lw=1.3))
        ax.text(x, 2.4, f"{symbol}  $(D,)$", ha="center", va="bottom", fontsize=8.5)
    ax.text(16.0, 3.0, r"back: $d\gamma$, $d\beta$  $(D,)$ each", ha="center", va="bottom",
            fontsize=8.5, color=BACKWARD)

    ax.text(-0.9, 4.35, f"Batch normalization of x (N, D) = ({batch}, {features}): forward "
            "values and their shapes in black; the gradient of the loss along each edge, in "
            "red, has the same shape", fontsize=10.5)
    ax.text(-0.9, -2.2, "x and x_c are each used twice: the gradient of a value is the sum of "
            "the gradients that come back along all of its uses. "
            "A (D,) value combined with an (N, D) one is broadcast over the N rows.",
            fontsize=10)
    fig.tight_layout()
    return fig
