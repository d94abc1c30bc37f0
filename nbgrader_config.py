"""nbgrader configuration for the course.

Instructors author in ``solutions/`` (nbgrader's *source* step) and release to
``notebooks/`` (nbgrader's *release* step); ``python -m coursebuild release`` runs
``nbgrader generate_assignment`` with this file. Submissions, autograded copies, feedback
and the gradebook use nbgrader's defaults (``submitted/``, ``autograded/``, ``feedback/``,
``gradebook.db``), all git-ignored.
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "backprop-from-scratch"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# Hidden tests need torch and gradient checks; give each cell room, but not forever.
c.ExecutePreprocessor.timeout = 300

# nbgrader scores a test cell 0 if *anything* reaches stderr. The course's correct
# solutions write nothing there; this pattern only forgives the harmless notices that
# third-party libraries print while importing (never an AssertionError or a traceback).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"^(?:(?!Traceback|Error)[^\n]*(?:Warning|warn)[^\n]*\n?)+$"
