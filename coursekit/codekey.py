"""The code of a Python file without its documentation, for cache keys.

A cached training run must be redone when the code it ran changes, and only then: a reworded
docstring or comment in ``provided.py`` changes no number, so it should not cost a retrain.
"""

from __future__ import annotations

import ast
from pathlib import Path

__all__ = ["code_text"]


def code_text(path: str | Path) -> str:
    """The Python file at ``path`` as normalized source (``ast.unparse``) with every module,
    class and function docstring removed; comments and formatting never reach the AST."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)
