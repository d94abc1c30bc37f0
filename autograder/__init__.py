"""The course's grading package.

- ``autograder.checks``: assertions with teaching failure messages, used by test cells;
- ``autograder.gradcheck``: centered-difference gradients and the relative error;
- ``autograder.testcell``: run a test cell against a namespace of graded functions;
- ``autograder.notebook``: read nbgrader notebooks (solution, test and answer cells);
- ``autograder.cells``: the cell vocabulary (kinds, nbgrader metadata, markers);
- the sandboxed batch grader (``python -m autograder grade ...``; in Python
  ``autograder.grader.batch.grade_class`` with an ``autograder.config.GraderConfig``).
"""
