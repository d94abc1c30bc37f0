"""Per-assignment release rules: what a release must not print (tests/test_derive_first.py)."""
