"""Test-suite wide setup."""

import contextlib

# pytester's in-process runs (tests/plugin) drop every module first imported inside them
# when they end. httpx imports httpcore lazily and keeps a table of httpcore's exception
# classes: if httpcore were first imported inside such a run, a later re-import would make
# new classes the table no longer maps (a refused connection would escape as a raw
# httpcore.ConnectError). Importing it here, before any test, keeps one httpcore per run.
import httpcore  # noqa: F401
from hypothesis import HealthCheck, settings

# The same for httpx2 and its httpcore2 (optional: Python >= 3.11), which the inner runs of
# the interception tests import: one httpx2 per run, so its clients' classes stay one set.
with contextlib.suppress(ImportError):
    import httpcore2  # noqa: F401
    import httpx2  # noqa: F401

# The same for aiohttp (optional), which the inner runs of the SDK tests import through
# google-genai: its session class, patched by interception, stays one class per run.
with contextlib.suppress(ImportError):
    import aiohttp  # noqa: F401

# Fuzz tests (marker `fuzz`) are bounded in every run of the suite; `make fuzz` runs them
# long with `--hypothesis-profile=fuzz`. The bounded profile is derandomized, so CI sees the
# same inputs every time and a failure there is never a fluke of the draw.
settings.register_profile(
    "bounded",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz", max_examples=5_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("bounded")
