"""The batch grader: plans, sandboxed runs, workers, reports and the nbgrader gradebook."""
