"""Values across the sandbox boundary: JSON for structure, ``.npy`` for arrays.

Nothing that crosses can execute: the trusted side decodes with ``json.loads`` and
``numpy.lib.format.read_array(..., allow_pickle=False)`` only, and accepts numeric and
boolean arrays, numbers, strings, None, and lists, tuples and dicts of those. What the
sandbox cannot express that way stays in the sandbox as an opaque *handle* (a layer cache
object, say), which the trusted side can only pass back.

Into the sandbox go, besides plain data: *callbacks* (functions a test passes, like the
``f`` of ``numerical_gradient``) and *remote generators* (a test's ``np.random.Generator``).
Both stay on the trusted side; the sandbox gets stand-ins that call back for every use, so
a generator advances exactly as it would in-process and the sandbox can never set its state.
A generator's stand-in that the sandbox sends back (passing the test's ``rng`` on to a test's
callback, as ``init_mlp(sizes, init, rng)`` does) arrives as the test's own generator again.

Tree format: JSON values, where a dict with one ``$``-key is a tagged node:
``{"$a": i}`` array i; ``{"$s": i}`` NumPy scalar (0-d array i); ``{"$t": [...]}`` tuple;
``{"$d": [[key, value], ...]}`` dict; ``{"$h": id, "type": name}`` handle;
``{"$dt": "<f4", "type": bool}`` a NumPy dtype or scalar type (``np.float32``);
``{"$pt": "float"}`` the Python types bool, int, float, complex (``dtype=float``);
``{"$cb": id}`` callback; ``{"$rng": id}`` generator; ``{"$bad": reason}`` a value the
sandbox refused to send (an ndarray subclass, say). Plain JSON lists are lists.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np

MAX_DEPTH = 64
MAX_ARRAY_BYTES = 512 * 2**20
ARRAY_KINDS = "biufc"   # bool, int, uint, float, complex
PYTHON_TYPES = {"bool": bool, "int": int, "float": float, "complex": complex}   # as dtype= arguments
# Generator methods that fill their first argument in place instead of returning a value.
IN_PLACE_GENERATOR_METHODS = {"shuffle"}


class WireError(ValueError):
    """A value that cannot cross the boundary, or a malformed message."""


class ContractViolation(TypeError):
    """The student's code returned something the graded API does not allow."""

    contract_violation = True


# ---------------------------------------------------------------------------- arrays

def array_to_npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)  # keeps 0-d arrays 0-d
    return buffer.getvalue()


def npy_to_array(blob: bytes) -> np.ndarray:
    try:
        array = np.lib.format.read_array(io.BytesIO(blob), allow_pickle=False)
    except Exception as error:  # malformed header, object dtype, truncated data
        raise WireError(f"not a plain .npy array: {error}") from None
    if array.dtype.kind not in ARRAY_KINDS or array.dtype.fields is not None:
        raise WireError(f"arrays of dtype {array.dtype} cannot cross the boundary")
    return array


# ---------------------------------------------------------------------------- encoding

class Encoder:
    """Turns a value into (tree, arrays). Subclasses decide what non-plain values become."""

    def __init__(self):
        self.arrays: list[bytes] = []

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$f": repr(value)}
        if isinstance(value, np.ndarray):
            if type(value) is not np.ndarray:
                return self.other(value)
            if value.dtype.kind not in ARRAY_KINDS or value.dtype.fields is not None:
                return self.other(value)
            if value.nbytes > MAX_ARRAY_BYTES:
                raise WireError(f"an array of {value.nbytes / 2**20:.0f} MB is too large to send")
            self.arrays.append(array_to_npy(value))
            return {"$a": len(self.arrays) - 1}
        if isinstance(value, np.generic) and type(value).__module__ == "numpy" \
                and np.asarray(value).dtype.kind in ARRAY_KINDS:
            self.arrays.append(array_to_npy(np.asarray(value)))
            return {"$s": len(self.arrays) - 1}
        if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
            try:   # a dtype argument (dtype=np.float32) is data, not a callback
                dtype = np.dtype(value)
            except TypeError:   # abstract types: np.floating
                dtype = None
            if dtype is not None and dtype.kind in ARRAY_KINDS and dtype.fields is None and (
                    isinstance(value, np.dtype) or dtype.type is value):
                return {"$dt": dtype.str, "type": not isinstance(value, np.dtype)}
            return self.other(value)
        if any(value is kind for kind in PYTHON_TYPES.values()):   # dtype=float
            return {"$pt": value.__name__}
        if isinstance(value, tuple):   # namedtuples too: the graded API returns tuples
            return {"$t": [self.encode(item, depth + 1) for item in value]}
        if isinstance(value, list):
            return [self.encode(item, depth + 1) for item in value]
        if isinstance(value, dict):
            return {"$d": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                           for k, v in value.items()]}
        return self.other(value)

    def other(self, value):
        raise WireError(f"a {type(value).__name__} cannot be sent")


class Decoder:
    """Turns (tree, arrays) back into values. Subclasses resolve handles and stand-ins."""

    def __init__(self, arrays: list[bytes]):
        self.blobs = arrays
        self._referenced: set[int] = set()

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if isinstance(node, list):
            return [self.decode(item, depth + 1) for item in node]
        if not isinstance(node, dict) or len(node) < 1:
            raise WireError("malformed value")
        tag = next(iter(node))
        body = node[tag]
        if tag == "$a":
            return self.array(body)
        if tag == "$s":
            return self.array(body)[()]
        if tag == "$f":
            if body not in ("nan", "inf", "-inf"):
                raise WireError("malformed float")
            return float(body)
        if tag == "$t":
            return tuple(self.decode(item, depth + 1) for item in _list(body))
        if tag == "$dt":
            try:
                dtype = np.dtype(body) if isinstance(body, str) else None
            except (TypeError, ValueError):
                dtype = None
            if dtype is None or dtype.kind not in ARRAY_KINDS or dtype.fields is not None \
                    or dtype.subdtype is not None:
                raise WireError("malformed dtype")
            return dtype.type if node.get("type") is True else dtype
        if tag == "$pt":
            if not isinstance(body, str) or body not in PYTHON_TYPES:
                raise WireError("malformed type")
            return PYTHON_TYPES[body]
        if tag == "$d":
            result = {}
            for pair in _list(body):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise WireError("malformed dict")
                key = self.decode(pair[0], depth + 1)
                if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                    raise WireError("dict keys must be plain values")
                result[key] = self.decode(pair[1], depth + 1)
            return result
        return self.tagged(tag, node)

    def array(self, index) -> np.ndarray:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self.blobs):
            raise WireError("reference to a missing array")
        # An encoder sends every array it meets as a blob of its own, so each blob is
        # referenced once. A message that references one many times (a tuple of 80 views of
        # a 64 MiB array) would decode, and then be compared, as gigabytes: it is malformed.
        if index in self._referenced:
            raise WireError("an array referenced twice")
        self._referenced.add(index)
        return npy_to_array(self.blobs[index])

    def tagged(self, tag: str, node: dict):
        raise WireError(f"unexpected value tag {tag!r}")


def _list(body) -> list:
    if not isinstance(body, list):
        raise WireError("malformed value")
    return body


# ------------------------------------------------- the trusted side's view (grader)

class Handle:
    """An object that lives in the sandbox. It can only be passed back to the sandbox."""

    __slots__ = ("session_id", "handle_id", "type_name")

    def __init__(self, session_id: int, handle_id: int, type_name: str):
        self.session_id, self.handle_id, self.type_name = session_id, handle_id, type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object from the student's code>"

    def _refuse(self, *args, **kwargs):
        raise ContractViolation(
            f"returned a {self.type_name} where plain data was expected "
            "(a numpy array, a number, or a dict/list/tuple of those)")

    __array__ = __len__ = __iter__ = __getitem__ = __float__ = __int__ = __bool__ = _refuse
    __add__ = __sub__ = __mul__ = __truediv__ = __matmul__ = __neg__ = __lt__ = __gt__ = _refuse


class TrustedEncoder(Encoder):
    """Encodes a test's arguments: callables become callbacks, generators remote ones."""

    def __init__(self, session_id: int, callbacks: dict, generators: dict):
        super().__init__()
        self.session_id, self.callbacks, self.generators = session_id, callbacks, generators

    def other(self, value):
        if isinstance(value, Handle):
            if value.session_id != self.session_id:
                raise ContractViolation(
                    "this value came from an earlier run of the student's code, which was "
                    "stopped; it cannot be used any more")
            return {"$h": value.handle_id}
        if isinstance(value, np.random.Generator):
            key = id(value)
            self.generators[key] = value
            return {"$rng": key}
        if callable(value):
            key = id(value)
            self.callbacks[key] = value
            return {"$cb": key}
        raise WireError(f"a test passed a {type(value).__name__}, which cannot be sent to the sandbox")


class TrustedDecoder(Decoder):
    """Decodes what the sandbox sent: plain data, handles, and the test's own generators
    (``generators``: those sent in, by key) when the sandbox passes one back."""

    def __init__(self, arrays: list[bytes], session_id: int, generators: dict | None = None):
        super().__init__(arrays)
        self.session_id = session_id
        self.generators = generators if generators is not None else {}

    def tagged(self, tag: str, node: dict):
        if tag == "$h":
            handle_id, type_name = node.get("$h"), node.get("type")
            if not isinstance(handle_id, int) or not isinstance(type_name, str):
                raise WireError("malformed handle")
            return Handle(self.session_id, handle_id, type_name[:100])
        if tag == "$rng":
            generator = self.generators.get(node["$rng"]) if isinstance(node["$rng"], int) else None
            if generator is None:
                raise WireError("unknown generator")
            return generator
        if tag == "$bad":
            raise ContractViolation(str(node["$bad"])[:500])
        raise WireError(f"unexpected value tag {tag!r}")


# ------------------------------------------------- the sandbox's view (untrusted)

class SandboxEncoder(Encoder):
    """Encodes results: anything not plain becomes a handle kept in ``objects``."""

    def __init__(self, objects: dict):
        super().__init__()
        self.objects = objects

    def other(self, value):
        if isinstance(value, np.ndarray):
            if type(value) is not np.ndarray:
                return {"$bad": f"returned a {type(value).__name__}, a subclass of numpy.ndarray; "
                                "return a plain numpy.ndarray (np.asarray(...) converts it)"}
            return {"$bad": f"returned an array of dtype {value.dtype}; return numbers"}
        if isinstance(value, RemoteGenerator):
            return {"$rng": value._key}   # the test's generator, going back to the test
        key = id(value)
        self.objects[key] = value
        return {"$h": key, "type": type(value).__name__}


class RemoteGenerator:
    """Stands in for a test's ``np.random.Generator`` inside the sandbox: every draw is made
    on the trusted side, by ``draw(method, args, kwargs)`` (the agent's round trip)."""

    def __init__(self, key, draw: Callable):
        self._key, self._draw = key, draw

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)

        def draw(*args, **kwargs):
            result = self._draw(method, args, kwargs)
            if method in IN_PLACE_GENERATOR_METHODS and args and isinstance(args[0], np.ndarray):
                np.copyto(args[0], result)
                return None
            return result
        return draw

    def __repr__(self) -> str:
        return "Generator(from the test)"


class SandboxDecoder(Decoder):
    """Decodes a test's arguments, replacing callbacks and generators by stand-ins."""

    def __init__(self, arrays: list[bytes], objects: dict, make_callback: Callable,
                 make_generator: Callable):
        super().__init__(arrays)
        self.objects, self.make_callback, self.make_generator = objects, make_callback, make_generator

    def array(self, index) -> np.ndarray:
        return super().array(index).copy()  # writable, like an array made in-process

    def tagged(self, tag: str, node: dict):
        if tag == "$h":
            key = node["$h"]
            if key not in self.objects:
                raise WireError("unknown handle")
            return self.objects[key]
        if tag == "$cb":
            return self.make_callback(node["$cb"])
        if tag == "$rng":
            return self.make_generator(node["$rng"])
        raise WireError(f"unexpected value tag {tag!r}")
