"""nbgrader configuration for the ufldl-notebooks course (run nbgrader from this directory).

The instructor's notebooks, with solutions and hidden tests, live in ``source/<assignment>/``.
``nbgrader generate_assignment <assignment>`` writes the student version to ``release/``;
``nbgrader autograde <assignment>`` grades what students hand in under
``submitted/<student>/<assignment>/``. The test cells call ``ufldl_helpers.grading``, so the
package must be importable by the kernel that runs them.
"""

c = get_config()  # noqa: F821 (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "ufldl-notebooks"
# Each autograded cell runs for at most a minute; the checks take well under a second.
c.ExecutePreprocessor.timeout = 60
