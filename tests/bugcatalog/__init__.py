"""The bug catalog: realistic wrong implementations of every graded function, and valid
alternative ones. ``tests/test_bug_catalog.py`` proves the hidden tests fail on every bug
and give full marks to every alternative.

One module per assignment (``a01_derivatives.py``, ...). Each sets ``ASSIGNMENT`` and
decorates complete replacement functions with ``@bug(target, why)`` or
``@alternative(target, why)``. Entries are self-contained: they define what they call.
"""
