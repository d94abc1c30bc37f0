"""The batch grader. ``batch.grade_class(config, paths)`` is its one entry point.

    batch        grade_class: discover, skip what is graded, grade on a backend, record
    course       an nbgrader course folder (its folders from nbgrader_config.py)
    discovery    the submissions in a submitted/ tree or given paths, with resume keys
    submission   Submission -> SubmissionInput (bytes) -> grade_submission -> SubmissionResult
    pool         the local backend: warm worker processes
    worker       WarmGrader (a warm process that grades inputs) and the pool's worker main
    plan         which cells run where: the instructor's source merged with a submission
    run          one submission's plan executed: cells in sandboxes, tests here
    reports      the output folder (results, Gradescope results.json, feedback, CSV, table)
    gradebook    nbgrader's gradebook and autograded/ notebooks
    errors       GradingError
"""
