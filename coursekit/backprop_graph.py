"""The computational graph of a fully connected network, forward and backward, as a figure.

``draw_mlp_graph()`` draws the graph of 03's network with two hidden layers: one box per
operation, the forward values on black arrows above the boxes (with the operation that
computes each), the gradients on red arrows below, and the shape of every value and every
gradient on its edge (symbolic and for the given sizes). The backward edges name each
gradient and its shape only: working out what flows along them is the exercise of 03, so
the figure never shows a backward formula.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

FORWARD, BACKWARD, UNUSED = "black", "#c0392b", "#999999"


def _box(ax, x, y, text, width=1.3, height=0.7, color="#eaf2fb"):
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.05", facecolor=color, edgecolor="#34495e"))
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _arrow(ax, start, end, color, label="", label_offset=(0.0, 0.0), dashed=False, va="bottom"):
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=1.6,
                                linestyle="--" if dashed else "-", shrinkA=0, shrinkB=0))
    if label:
        mid = ((start[0] + end[0]) / 2 + label_offset[0], (start[1] + end[1]) / 2 + label_offset[1])
        ax.text(*mid, label, ha="center", va=va, fontsize=8.5, color=color)


def draw_mlp_graph(sizes=(784, 256, 128, 10), batch=128, activation="ReLU"):
    """Draw the forward and backward graph of a network with two hidden layers.

    sizes: (D, H1, H2, C); batch: N; activation: the name shown in the activation boxes
    (f in the formulas). Every forward edge carries its value's name, the operation that
    computes it and its shape; every backward edge the gradient's name and shape (symbolic and
    for these sizes), left for the student to derive. Returns the figure.
    """
    D, H1, H2, C = sizes
    dims = {"N": batch, "D": D, "H_1": H1, "H_2": H2, "C": C}

    def shape(*names):
        comma = "," if len(names) == 1 else ""
        symbolic = "(" + ", ".join(f"${n}$" for n in names) + comma + ")"
        numeric = "(" + ", ".join(str(dims[n]) for n in names) + comma + ")"
        return f"{symbolic}\n= {numeric}"

    fig, ax = plt.subplots(figsize=(17, 6.2))
    ax.set_xlim(-0.2, 18.2)
    ax.set_ylim(-3.6, 3.4)
    ax.axis("off")

    xs = [2.1, 4.8, 7.5, 10.2, 12.9, 15.7]    # centres of the six operation boxes
    ops = ["linear 1", activation, "linear 2", activation, "linear 3", "softmax +\ncross-entropy"]
    for x, op in zip(xs, ops):
        _box(ax, x, 0, op, width=1.6 if "softmax" in op else 1.2,
             color="#fdf2e9" if op == activation else "#eaf2fb")

    # values between the boxes (above the line) and their gradients (below)
    edges = [  # (from x, to x, forward label, backward label)
        (0.1, xs[0] - 0.6, "$X$\n" + shape("N", "D"), "$dX$: not needed\n" + shape("N", "D")),
        (xs[0] + 0.6, xs[1] - 0.6, "$Z_1 = X W_1 + b_1$\n" + shape("N", "H_1"),
         "$dZ_1 = \\ ?$\n" + shape("N", "H_1")),
        (xs[1] + 0.6, xs[2] - 0.6, "$A_1 = f(Z_1)$\n" + shape("N", "H_1"),
         "$dA_1 = \\ ?$\n" + shape("N", "H_1")),
        (xs[2] + 0.6, xs[3] - 0.6, "$Z_2 = A_1 W_2 + b_2$\n" + shape("N", "H_2"),
         "$dZ_2 = \\ ?$\n" + shape("N", "H_2")),
        (xs[3] + 0.6, xs[4] - 0.6, "$A_2 = f(Z_2)$\n" + shape("N", "H_2"),
         "$dA_2 = \\ ?$\n" + shape("N", "H_2")),
        (xs[4] + 0.6, xs[5] - 0.8, "$S = A_2 W_3 + b_3$\n" + shape("N", "C"),
         "$dS$ (from 02)\n" + shape("N", "C")),
        (xs[5] + 0.8, 18.1, "loss $\\mathcal{L}$\n()", "$d\\mathcal{L}/d\\mathcal{L} = 1$"),
    ]
    for k, (a, b, forward_label, backward_label) in enumerate(edges):
        _arrow(ax, (a, 0.12), (b, 0.12), FORWARD, forward_label, (0, 0.05))
        _arrow(ax, (b, -0.12), (a, -0.12), UNUSED if k == 0 else BACKWARD, backward_label,
               (0, -0.07), dashed=k == 0, va="top")

    # parameters in (above) and their gradients out (below) for each linear layer
    layers = [("1", ("D", "H_1"), "H_1"), ("2", ("H_1", "H_2"), "H_2"), ("3", ("H_2", "C"), "C")]
    for x, (l, w_shape, b_size) in zip(xs[0::2], layers):
        _arrow(ax, (x, 2.2), (x, 0.4), FORWARD)
        ax.text(x, 2.25, f"$W_{l}$ {shape(*w_shape)}\n$b_{l}$ {shape(b_size)}", ha="center",
                va="bottom", fontsize=8.5)
        _arrow(ax, (x, -0.4), (x, -2.3), BACKWARD)
        ax.text(x, -2.35, f"$dW_{l} = \\ ?$ {shape(*w_shape)}\n"
                f"$db_{l} = \\ ?$ {shape(b_size)}", ha="center", va="top",
                fontsize=8.5, color=BACKWARD)
    _arrow(ax, (xs[5], 2.2), (xs[5], 0.4), FORWARD)
    ax.text(xs[5], 2.25, "labels $y$ " + shape("N"), ha="center", va="bottom", fontsize=8.5)

    ax.text(0.0, 3.2, "forward: values flow left to right (black)", fontsize=10.5, color=FORWARD)
    ax.text(0.0, -3.5, "backward: gradients of the loss flow right to left (red); "
            "every gradient has the shape of the value it belongs to; you derive what it is",
            fontsize=10.5, color=BACKWARD)
    fig.tight_layout()
    return fig
