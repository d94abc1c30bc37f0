"""Inside the sandbox: a record of every entry into an automatic-differentiation library.

The course asks students to derive some gradients by hand. A graded function that hands the
work to autodiff instead (``torch.autograd``, ``torch.func``, JAX, HIPS ``autograd``) would
pass every numerical test, so the sandbox records such use and the trusted side (which
knows which functions are derived, see ``autograder.grader.derived``) decides what it costs.

``install()`` (the agent calls it before any student code runs) puts a recorder in front of
each entry point of PyTorch's autodiff (``ENTRIES``; the transforms of ``torch.func`` record
when the function they return is called) and of the autograd engine that every backward pass
goes through (``Variable._execution_engine``; its metaclass records any assignment to it, so
that swapping the engine and putting it back within a call is seen too), and adds an audit
hook (which cannot be removed) that records imports of other autodiff libraries. Only the
outermost entry of a nested use counts (``torch.func.grad`` calls ``torch.autograd.grad``,
which runs the engine: one use of ``torch.func.grad``).

``RECORD.window()`` counts uses by entry name until ``RECORD.close(window)`` (the agent opens
one per cell and per call); ``tampering()`` lists the recorders that are no longer in place
(and puts them back, so that a cell or call that removes them costs only what it touched).
``Taint`` links data made at a cell's top level while autodiff ran (or while the recorders
were removed) to the functions that later read it, and finds functions that hold an original
entry point taken from behind its recorder. All of this lives in the student's process, so a
determined student can forge it: it detects ordinary use and ordinary attempts to hide it,
and proves nothing more (README, "What a submission can and cannot do").
"""

from __future__ import annotations

import re
import sys
import types
from collections import Counter

# (module, attribute, recorded name, how): "call" records each call; "transform" records
# each call of the function it returns (making the transform is not yet autodiff).
ENTRIES = (
    ("torch.autograd", "backward", "torch.autograd.backward", "call"),
    ("torch.autograd", "grad", "torch.autograd.grad", "call"),
    ("torch.autograd.functional", "jacobian", "torch.autograd.functional.jacobian", "call"),
    ("torch.autograd.functional", "hessian", "torch.autograd.functional.hessian", "call"),
    ("torch.autograd.functional", "vjp", "torch.autograd.functional.vjp", "call"),
    ("torch.autograd.functional", "jvp", "torch.autograd.functional.jvp", "call"),
    ("torch.autograd.functional", "hvp", "torch.autograd.functional.hvp", "call"),
    ("torch.autograd.functional", "vhp", "torch.autograd.functional.vhp", "call"),
    ("torch.autograd.forward_ad", "make_dual", "torch.autograd.forward_ad", "call"),
    ("torch.autograd.forward_ad", "unpack_dual", "torch.autograd.forward_ad", "call"),
    ("torch.func", "grad", "torch.func.grad", "transform"),
    ("torch.func", "grad_and_value", "torch.func.grad_and_value", "transform"),
    ("torch.func", "jacrev", "torch.func.jacrev", "transform"),
    ("torch.func", "jacfwd", "torch.func.jacfwd", "transform"),
    ("torch.func", "hessian", "torch.func.hessian", "transform"),
    ("torch.func", "vjp", "torch.func.vjp", "call"),
    ("torch.func", "jvp", "torch.func.jvp", "call"),
    ("torch.func", "linearize", "torch.func.linearize", "call"),
)
# Class attributes.
CLASS_ENTRIES = (
    ("torch", "Tensor", "backward", "Tensor.backward"),
)
ENGINE = "the autograd engine (Variable._execution_engine.run_backward)"
# Other autodiff libraries: their import is recorded (none of them is installed here).
WATCHED_IMPORTS = ("jax", "jaxlib", "autograd", "functorch", "tensorflow")
SCALARS = (type(None), bool, int, float, complex, str, bytes)
IPYTHON_NAMES = re.compile(r"_+|_i+|_i?\d+|In|Out|_oh|_dh|_ih")   # the shell's history, not the cell's data


class Record:
    """What the recorders saw, for the whole life of the sandbox."""

    def __init__(self):
        self.windows: list[Counter] = []       # open windows (a call nested in a call: two)
        self.depth = 0                         # > 0 while inside a recorded entry
        self.replaced: list[str] = []          # Variable's attributes assigned since the last check
        self.installed: list[tuple] = []       # (owner's __dict__, attribute, the recorder put there, name, owner)
        self.originals: dict[int, tuple] = {}  # id -> (an original entry point, its name)

    def use(self, name: str) -> None:
        if self.depth == 0:
            for window in self.windows:
                window[name] += 1

    def window(self) -> Counter:
        """Count the uses from now on (a cell's or a call's), until ``close``."""
        self.windows.append(Counter())
        return self.windows[-1]

    def close(self, window: Counter) -> dict[str, int]:
        """The uses counted in ``window``; it counts no more."""
        self.windows = [open_ for open_ in self.windows if open_ is not window]
        return dict(window)


RECORD = Record()


def _recorder(name: str, original, transform: bool = False):
    def recorder(*args, **kwargs):
        if not transform:
            RECORD.use(name)
        RECORD.depth += 1
        try:
            result = original(*args, **kwargs)
        finally:
            RECORD.depth -= 1
        return _recorder(name, result) if transform and callable(result) else result

    recorder.__name__ = getattr(original, "__name__", name)
    recorder.__qualname__ = getattr(original, "__qualname__", name)
    recorder.__doc__ = getattr(original, "__doc__", None)
    return recorder


class _RecordingEngine:
    """Stands in for ``Variable._execution_engine``: records ``run_backward`` (reached without
    any recorded entry: e.g. ``torch.autograd.graph._engine_run_backward`` called directly),
    forwards everything else."""

    def __init__(self, engine):
        object.__setattr__(self, "_engine", engine)

    def run_backward(self, *args, **kwargs):
        RECORD.use(ENGINE)
        RECORD.depth += 1
        try:
            return self._engine.run_backward(*args, **kwargs)
        finally:
            RECORD.depth -= 1

    def __getattr__(self, name):
        return getattr(self._engine, name)


def install() -> None:
    """Put the recorders in place (once per process; before any student code runs). Where
    torch is not imported yet (a sandbox forked from a process that never imported it), they
    are put in place as soon as torch is imported, not before: importing it costs a sandbox
    hundreds of megabytes."""
    if RECORD.installed or _WhenTorchIsImported.waiting:
        return
    sys.addaudithook(_audit)
    if "torch" in sys.modules:
        _install_torch()
    else:
        _WhenTorchIsImported.waiting = True
        sys.meta_path.insert(0, _WhenTorchIsImported())


class _WhenTorchIsImported:
    """A meta path finder that finds nothing itself: it installs the recorders once torch's
    own loader has run."""

    waiting = False

    def find_spec(self, name, path=None, target=None):
        if name != "torch":
            return None
        sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not self]
        import importlib.util

        spec = importlib.util.find_spec("torch")
        loader = getattr(spec, "loader", None)
        if loader is not None and hasattr(loader, "exec_module"):
            run = loader.exec_module

            def exec_module(module):
                run(module)
                _install_torch()
            loader.exec_module = exec_module
        return spec


def _install_torch() -> None:
    try:
        import torch
        import torch.autograd.forward_ad  # noqa: F401
        import torch.autograd.functional  # noqa: F401
        import torch.autograd.graph
        import torch.func  # noqa: F401
    except ImportError:
        RECORD.installed.append(({}, "", None, "no torch", None))
        return
    for module_name, attribute, name, how in ENTRIES:
        module = sys.modules.get(module_name)
        original = getattr(module, attribute, None)
        if callable(original):
            _put(module, attribute, _recorder(name, original, transform=how == "transform"),
                 f"{module_name}.{attribute}", original)
    for module_name, class_name, attribute, name in CLASS_ENTRIES:
        owner = getattr(sys.modules[module_name], class_name)
        _put(owner, attribute, _recorder(name, vars(owner)[attribute]), name, vars(owner)[attribute])
    variable = torch.autograd.graph.Variable
    original = vars(variable)["_execution_engine"]
    _put(variable, "_execution_engine", _RecordingEngine(original), "Variable._execution_engine", original)
    metaclass = type(variable)
    if metaclass is not type:
        _put(metaclass, "__setattr__", _recording_setattr, "the metaclass of Variable",
             vars(metaclass).get("__setattr__", type.__setattr__))


def _recording_setattr(cls, name, value):
    """Variable's metaclass's ``__setattr__``: any assignment to the engine is noted."""
    if name == "_execution_engine" and len(RECORD.replaced) < 20:
        RECORD.replaced.append("Variable._execution_engine")
    type.__setattr__(cls, name, value)


def _put(owner, attribute: str, recorder, name: str, original) -> None:
    type.__setattr__(owner, attribute, recorder) if isinstance(owner, type) else setattr(owner, attribute, recorder)
    RECORD.installed.append((vars(owner), attribute, recorder, name, owner))
    RECORD.originals[id(original)] = (original, name)


def tampering() -> list[str]:
    """The recorders found gone or replaced since the last check, and assignments to the
    engine (even if it was put back); every recorder is back in place afterwards."""
    found = []
    for namespace, attribute, wrapped, name, owner in RECORD.installed:
        if wrapped is not None and namespace.get(attribute) is not wrapped:
            found.append(f"{name} was replaced")
            try:
                type.__setattr__(owner, attribute, wrapped) if isinstance(owner, type) else \
                    setattr(owner, attribute, wrapped)
            except (AttributeError, TypeError):
                pass
    for name in RECORD.replaced:
        if f"{name} was replaced" not in found:
            found.append(f"{name} was replaced")
    if not RECORD.installed and "torch" in sys.modules:
        found.append("torch was imported without the recorders")
    RECORD.replaced.clear()
    return list(dict.fromkeys(found))[:20]


def _audit(event: str, args: tuple) -> None:
    # Runs on every audited event of the sandbox: quick, and it must never raise.
    if event == "import":
        module = args[0]
        if isinstance(module, str) and module.partition(".")[0] in WATCHED_IMPORTS:
            RECORD.use(f"import {module.partition('.')[0]}")


# ---------------------------------------------------------------------- data made with autodiff

class Taint:
    """Objects a student's cell bound at its top level while autodiff ran in it (a table of
    gradients, a checkpoint's numbers, a function closing over them), and which graded
    function later reaches them (through its globals, closure, defaults, or the functions it
    calls), so that a derived function returning precomputed gradients is caught too."""

    MAX_VISITS = 500

    def __init__(self):
        self.objects: dict[int, tuple[object, dict]] = {}   # id -> (the object, kept alive; its origin)
        self._reached: dict[int, tuple] = {}   # id(function) -> (function, what it reaches)

    def cells_changed(self) -> None:
        """A cell ran: what each function reaches may have changed (names rebound)."""
        self._reached.clear()

    def cell_ran(self, before: dict[str, int], namespace: dict, origin: dict) -> None:
        """After a cell in which autodiff ran: taint what it bound (``before``: id of each
        name's value before the cell)."""
        for name, value in list(namespace.items()):
            if before.get(name) != id(value) and not IPYTHON_NAMES.fullmatch(name):
                self._add(value, {**origin, "name": name}, depth=0)

    def _add(self, value, origin: dict, depth: int) -> None:
        if isinstance(value, types.FunctionType):
            # a function made in this cell: what it closes over and its defaults were too
            if depth < 3:
                for item in _function_data(value):
                    self._add(item, origin, depth + 1)
        elif not _exempt(value) and len(self.objects) < 10000:
            self.objects[id(value)] = (value, origin)

    def reached_by(self, function, namespace: dict) -> list[dict]:
        """The origins of the tainted objects ``function`` can reach (at most 10), and of the
        original entry points (behind their recorders) it holds. Only the notebook's own
        functions (whose globals are ``namespace``) are looked into, not a library's. The
        answer is kept until the next cell runs (names rebound by a call are not followed)."""
        cached = self._reached.get(id(function))
        if cached is not None and cached[0] is function:
            return cached[1]
        if len(self._reached) > 1000:
            self._reached.clear()
        found = self._walk(function, namespace)
        self._reached[id(function)] = (function, found)
        return found

    def _walk(self, function, namespace: dict) -> list[dict]:
        found, seen, todo = [], set(), [function]
        while todo and len(seen) < self.MAX_VISITS and len(found) < 10:
            item = todo.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            hit = self.objects.get(id(item))
            if hit is not None and hit[0] is item:
                found.append(hit[1])
                continue
            original = RECORD.originals.get(id(item))
            if original is not None and original[0] is item:
                found.append({"original": original[1]})
                continue
            if isinstance(item, types.FunctionType) and item.__globals__ is namespace:
                todo.extend(_function_data(item))
                todo.extend(_referenced_globals(item))
            elif type(item) in (list, tuple) and len(item) <= 100:   # exact types: no student code runs
                todo.extend(item)
            elif type(item) is dict and len(item) <= 100:
                todo.extend(item.values())
        return found


def _exempt(value) -> bool:
    return isinstance(value, SCALARS + (types.ModuleType, type, types.BuiltinFunctionType))


def _function_data(function) -> list:
    items = [cell.cell_contents for cell in (function.__closure__ or ()) if _filled(cell)]
    items += list(function.__defaults__ or ()) + list((function.__kwdefaults__ or {}).values())
    return items


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


_NAMES: dict[int, tuple] = {}   # id(code) -> (the code, kept alive; the global names it and its inner code use)


def _referenced_globals(function) -> list:
    code = function.__code__
    cached = _NAMES.get(id(code))
    if cached is None or cached[0] is not code:
        names, codes = set(), [code]
        while codes and len(names) < 1000:
            inner = codes.pop()
            names.update(inner.co_names)
            codes.extend(const for const in inner.co_consts if isinstance(const, types.CodeType))
        cached = _NAMES[id(code)] = (code, tuple(names))
    namespace = function.__globals__
    return [namespace[name] for name in cached[1] if name in namespace]


def namespace_ids(namespace: dict) -> dict[str, int]:
    return {name: id(value) for name, value in namespace.items()}
