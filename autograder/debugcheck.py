"""Checks for 06's debugging exercise: a bug report on a network the student did not write,
the corrected backward pass, and hand-worked checkpoints with several named steps.

- ``check_steps_form`` / ``check_steps``: a checkpoint that returns a dict of named steps
  (``{"dz": ..., "dW": ..., "db": ...}``), built on ``autograder.checkpoints``;
- ``check_report_form`` / ``check_report``: a bug report, a list of ``{"layer", "gradients",
  "mistake"}`` dicts, first its form against a stated vocabulary, then against the planted
  bugs, which only the hidden part of a test knows;
- ``check_gradient_dict`` / ``backward_gradients`` / ``check_backward``: a backward pass
  ``backward(dlogits, cache)`` of a provided forward pass: a gradient of the right shape and
  dtype per parameter, then centered differences through that forward.

Everything here works in the student's kernel and in the grader's trusted process (graded
functions are called through ``checks.call`` with plain data). Nothing here knows where the
planted bugs are: the tests pass that in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from . import checks as ck
from .checkpoints import check_answer, check_form

__all__ = ["backward_gradients", "check_backward", "check_gradient_dict", "check_report",
           "check_report_form", "check_steps", "check_steps_form"]

REPORT_KEYS = ("layer", "gradients", "mistake")


# ------------------------------------------------------------------ checkpoints with steps

def check_steps_form(result, shapes: Mapping[str, tuple], *, name: str) -> dict:
    """What ``checkpoint()`` returned is a dict with exactly the keys of ``shapes``, each finite
    numbers of that shape (nested lists, tuples or arrays). Returns them as float64 arrays.
    Says nothing about the values."""
    if not isinstance(result, Mapping):
        ck.fail(f"{name}: return a dict with the keys {sorted(shapes)}; got {type(result).__name__}.")
    if set(result) != set(shapes):
        ck.fail(f"{name}: the dict should have exactly the keys {sorted(shapes)}; got {sorted(result)}.")
    return {key: check_form(result[key], shape, name=f"{name} (entry {key!r})")
            for key, shape in shapes.items()}


def check_steps(steps: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray], *, name: str,
                mistakes: Mapping[str, Mapping[str, object]] | None = None) -> None:
    """Each step equals its expected numbers, in the order of ``expected`` (the order of the
    derivation), so the first wrong step is the one reported; ``mistakes[key]`` maps "what went
    wrong" to the numbers that mistake gives for that step."""
    for key, value in expected.items():
        check_answer(steps[key], value, name=f"{name} (entry {key!r})",
                     mistakes=(mistakes or {}).get(key))


# ------------------------------------------------------------------------------ bug reports

def check_report_form(report, *, name: str, layers: Sequence[int], parameters: Sequence[str],
                      vocabulary: Sequence[str], count: int) -> list[dict]:
    """``report`` is a list (or tuple) of ``count`` dicts with the keys layer (one of
    ``layers``), gradients (a non-empty list of names from ``parameters``) and mistake (one of
    ``vocabulary``). Returns it normalized: layer an int, gradients a sorted list."""
    if isinstance(report, Mapping):
        report = [report]
    if not isinstance(report, (list, tuple)):
        ck.fail(f"{name}: return a list of dicts, one per bug; got {type(report).__name__}.")
    if len(report) != count:
        ck.fail(f"{name}: the notebook says the network has {count} planted bugs; your report "
                f"lists {len(report)}.")
    normalized = []
    for number, entry in enumerate(report, start=1):
        where = f"{name}: bug {number} of your report"
        if not isinstance(entry, Mapping) or set(entry) != set(REPORT_KEYS):
            ck.fail(f"{where} should be a dict with exactly the keys {list(REPORT_KEYS)}; got "
                    + (f"the keys {sorted(map(str, entry))}" if isinstance(entry, Mapping)
                       else type(entry).__name__) + ".")
        layer, gradients, mistake = (entry[key] for key in REPORT_KEYS)
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or int(layer) not in layers:
            ck.fail(f"{where}: layer must be one of the integers {list(layers)}; got {layer!r}.")
        if isinstance(gradients, str):
            gradients = [gradients]
        if (not isinstance(gradients, (list, tuple)) or not gradients
                or any(g not in parameters for g in gradients) or len(set(gradients)) < len(gradients)):
            ck.fail(f"{where}: gradients must be a non-empty list of distinct names from "
                    f"{list(parameters)}; got {gradients!r}.")
        if mistake not in vocabulary:
            ck.fail(f"{where}: mistake must be one of {list(vocabulary)}; got {mistake!r}.")
        normalized.append({"layer": int(layer), "gradients": sorted(gradients), "mistake": mistake})
    layers_seen = [entry["layer"] for entry in normalized]
    if len(set(layers_seen)) < len(layers_seen):
        ck.fail(f"{name}: two bugs of your report are in the same layer; the planted bugs are "
                "in different layers.")
    return normalized


def check_report(report: Sequence[Mapping], planted: Sequence[Mapping], *, name: str,
                 explanations: Mapping[int, Mapping[str, str]] | None = None) -> None:
    """Every planted bug ``{"layer", "gradients", "mistake"}`` is in the normalized ``report``.

    ``explanations[layer]`` may hold a hint for each way of getting that bug wrong: "layer"
    (no reported bug in that layer), "gradients", "mistake"."""
    by_layer = {entry["layer"]: entry for entry in report}
    for bug in planted:
        layer, hint = bug["layer"], (explanations or {}).get(bug["layer"], {})
        entry = by_layer.get(layer)
        if entry is None:
            ck.fail(f"{name}: a planted bug is in a layer your report does not name."
                    + (f"\n  hint: {hint['layer']}" if "layer" in hint else
                       "\n  hint: a wrong gradient points at the layer whose backward step "
                       "produced it, or at a layer above it; which is the highest layer with a "
                       "wrong gradient?"))
        if entry["gradients"] != sorted(bug["gradients"]):
            ck.fail(f"{name}: for the bug in layer {layer} you list the gradients "
                    f"{entry['gradients']} as made wrong by it; that is not the set it affects."
                    + (f"\n  hint: {hint['gradients']}" if "gradients" in hint else
                       "\n  hint: a mistake in one layer's step reaches every gradient computed "
                       "after it in the backward pass, and none computed before it"))
        if entry["mistake"] != bug["mistake"]:
            ck.fail(f"{name}: the bug in layer {layer} is not a {entry['mistake']!r} mistake."
                    + (f"\n  hint: {hint['mistake']}" if "mistake" in hint else ""))


# ------------------------------------------------------------------------ backward passes

def check_gradient_dict(grads, params: Mapping, *, name: str, batch_size: int | None = None) -> dict:
    """``grads`` is a dict with a gradient for every parameter of ``params`` and nothing else,
    each of its parameter's shape and dtype. Returns the gradients as arrays."""
    if not isinstance(grads, Mapping):
        ck.fail(f"{name}: return a dict of gradients with the keys of params, {sorted(params)}; "
                f"got {type(grads).__name__}.")
    missing, extra = sorted(set(params) - set(grads)), sorted(set(grads) - set(params))
    if missing or extra:
        ck.fail(f"{name}: the gradients should have exactly the keys {sorted(params)}"
                + (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else "")
                + ".")
    result = {}
    for key, value in params.items():
        result[key] = ck.as_array(grads[key], name, f"the gradient d{key}")
        ck.check_shape(result[key], value.shape, name=name, output=f"the gradient d{key}",
                       batch_size=batch_size)
        ck.check_dtype(result[key], value.dtype, name=name, output=f"the gradient d{key}")
    return result


def backward_gradients(backward: Callable, forward: Callable, loss: Callable, params: Mapping,
                       X: np.ndarray, y: np.ndarray, *, name: str) -> dict:
    """Run the provided ``forward(params, X) -> (logits, cache)`` and ``loss(logits, y) ->
    (value, dlogits)``, then the student's ``backward(dlogits, cache)`` through ``checks.call``
    (dlogits and the cache must come back unmodified); ``check_gradient_dict`` on the result."""
    logits, cache = forward(params, X)
    _, dlogits = loss(logits, y)
    grads = ck.call(backward, dlogits, cache, name=name)
    return check_gradient_dict(grads, params, name=name, batch_size=len(X))


def check_backward(backward: Callable, forward: Callable, loss: Callable, params: Mapping,
                   X: np.ndarray, y: np.ndarray, *, name: str,
                   mistakes: Mapping[str, Callable] | None = None) -> None:
    """``backward``'s gradients (float64 params) equal the centered-difference gradients of
    ``loss(forward(params, X)[0], y)[0]`` for every parameter (h = 1e-5, relative error 1e-6,
    checks.check_gradients' defaults). The parameters are checked from the last layer down,
    the order of the backward pass, so the first failure is the highest wrong gradient.

    mistakes: ``{"what went wrong": wrong_backward}``, backward passes with a known mistake
    (the hidden tests pass them in); when the student's gradients equal one's on these inputs,
    the failure says which mistake it is.
    """
    grads = backward_gradients(backward, forward, loss, params, X, y, name=name)

    def scalar_loss(**values):
        return loss(forward({**params, **values}, X)[0], y)[0]

    top_down = dict(reversed(list(params.items())))
    try:
        ck.check_gradients(scalar_loss, top_down, grads, name=name, batch_size=len(X))
    except ck.CheckFailure as failure:
        known = _known_mistake(grads, mistakes or {}, forward, loss, params, X, y)
        if known is None:
            raise
        # the hint first after the numbers; ck.fail adds the trial line again
        ck.fail(str(failure).split("\n  (random trial")[0] + f"\n  hint: {known}")


def _known_mistake(grads: Mapping, mistakes: Mapping[str, Callable], forward, loss, params, X, y):
    """The first of ``mistakes`` whose gradients equal ``grads`` (to 1e-6 relative), if any."""
    logits, cache = forward(params, X)
    _, dlogits = loss(logits, y)
    for text, wrong in mistakes.items():
        theirs = wrong(np.array(dlogits, copy=True), {k: np.array(v, copy=True) for k, v in cache.items()})
        if all(np.allclose(grads[key], theirs[key], rtol=1e-6,
                           atol=1e-9 * max(1.0, float(np.max(np.abs(theirs[key]), initial=0))))
               for key in params):
            return text
    return None
