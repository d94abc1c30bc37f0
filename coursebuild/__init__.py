"""Instructor tooling: the course manifest, provided.py generation, the nbgrader release,
notebook execution and the main build job (``python -m coursebuild build``)."""
