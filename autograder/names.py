"""Which names a piece of Python source defines and which it reads from outside itself.

One analysis for every caller: the course build (which functions a ``provided.py`` must
carry along) and the notebook tests (a test cell must import what it uses).
"""

from __future__ import annotations

import ast
import builtins
import symtable

BUILTINS = frozenset(dir(builtins))


def free_names(source: str) -> set[str]:
    """Names ``source`` reads from outside itself: used at module level or as globals inside
    its functions, but bound nowhere in it (imports, assignments, defs, loops), builtins
    excluded. For a single ``def``: the globals the function needs."""
    top = symtable.symtable(source, "<source>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    used = set()

    def walk(table):
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (table is top or symbol.is_global() or symbol.is_declared_global()):
                used.add(symbol.get_name())
        for child in table.get_children():
            walk(child)

    walk(top)
    return used - bound - BUILTINS


def defined_functions(source: str) -> list[str]:
    """Names of the top-level functions ``source`` defines (empty if it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
