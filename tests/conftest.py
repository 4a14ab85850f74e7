"""Test settings shared by every module.

Under CI (the CI environment variable is set) hypothesis draws the same examples every run,
so a landing never depends on the luck of the draw; locally it explores new ones each time.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
