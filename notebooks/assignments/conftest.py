"""Keep nbval away from the nbgrader sources.

They are stored without outputs (nbgrader clears outputs anyway) and are tested by
``tests/test_assignments.py``: executed with solutions, generated into student versions and
autograded through nbgrader.
"""

# fnmatch: "*" also matches "/", so this covers source/, release/ and submitted/ at any depth.
collect_ignore_glob = ["*.ipynb"]
