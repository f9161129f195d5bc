"""Test configuration shared by every test module."""

import os

from hypothesis import settings

# Derandomized by default so that every run of the suite (CI included) draws the same examples:
# a failure is reproducible, never a one-off. HYPOTHESIS_PROFILE=explore draws new examples.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
