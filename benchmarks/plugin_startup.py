"""Benchmark: what the pytest plugin adds to `pytest --collect-only` of a project not using it.

The plugin is installed with the package (entry point `pytest11`), so every pytest run in an
environment that has llmring-replay loads it, whether the project uses it or not. Its
promise: heavy imports (httpx, pydantic, llmring_replay, syrupy) happen only in the fixtures
and hooks of tests that use it, so an unrelated project pays for one small module and a
marker lookup per test function. Target: <= 20 ms added.

It writes a small project to a temp dir (30 modules of 10 plain tests, a `pytest.ini`), then
runs `python -m pytest --collect-only -q` there, alternately with `-p no:llmring_replay`
(baseline) and without (plugin on), in fresh processes, and prints the medians of the
process's CPU time (other load on a shared machine hardly counts; `--wall` for wall-clock)
and the median of the paired differences (each "on" run minus the baseline run beside it,
which cancels most of the drift). A busy machine still moves that figure by tens of ms, so
the plugin's own parts are also measured in ways noise does not reach: its import
(`python -X importtime`) and the time inside its hooks during one collection (cProfile). It
lists the modules loaded only when the plugin is on, which must be the plugin's own.

The verdict is on those parts (import + hooks), which a busy machine does not move, or with
`--instructions` (valgrind) on the instructions each side executes, converted to ms at the
baseline's pace: the whole cost, also without noise. The end-to-end difference of CPU times
is printed with its quartiles, but a collection costs ~1.2 s of CPU here (every installed
pytest plugin loads), so its run-to-run spread is +-40 ms, more than the 20 ms target.

Exits 1 when the parts add up to more than the target or a heavy module is loaded (not
`--quick`).

Run: `.venv/bin/python benchmarks/plugin_startup.py [--runs 11] [--wall] [--quick]`
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 20.0
MODULES, TESTS_PER_MODULE = 30, 10
BASELINE = ("-p", "no:llmring_replay")
PLUGIN_MODULE = "pytest_llmring_replay.plugin"
HEAVY = frozenset({"httpx", "pydantic", "llmring_replay", "syrupy", "yaml"})
# The runs write and reuse .pyc files, as a user's pytest does: with PYTHONDONTWRITEBYTECODE
# (set on some CI machines, this one included) every run compiles every module of pytest and
# its plugins again (~3 s of CPU here, of which ~13 ms parsing, assert-rewriting and compiling
# ours): a cost of that setting more than of any plugin.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}

# One collection under cProfile: the time spent inside the plugin's hooks, free of machine
# noise (the profiler's own overhead makes it an upper bound).
_PROFILE_SCRIPT = """
import cProfile, contextlib, io, pstats, pytest
with contextlib.redirect_stdout(io.StringIO()):
    pytest.main(["--collect-only", "-q"])  # warm-up: imports, .pyc files
    profile = cProfile.Profile()
    profile.enable()
    pytest.main(["--collect-only", "-q"])
    profile.disable()
hooks = {"pytest_addoption", "pytest_configure", "pytest_generate_tests"}
print(sum(row[3] for (path, _, name), row in pstats.Stats(profile).stats.items()
          if "pytest_llmring_replay" in path and name in hooks) * 1000)
"""

_MODULES_SCRIPT = """
import sys, pytest
class Recorder:
    def pytest_collection_finish(self, session):
        print("\\n".join(sorted(sys.modules)), file=open(sys.argv[1], "w"))
pytest.main(["--collect-only", "-q", *sys.argv[2:]], plugins=[Recorder()])
"""


def make_project(root: Path) -> None:
    """A project of plain tests that does not use the plugin."""
    (root / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\nasyncio_default_fixture_loop_scope = function\n"
    )
    tests = root / "tests"
    tests.mkdir()
    body = "\n".join(
        f"def test_{i}():\n    assert {i} + 1 == {i + 1}\n" for i in range(TESTS_PER_MODULE)
    )
    for index in range(MODULES):
        (tests / f"test_module_{index}.py").write_text(body)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def collect(root: Path, extra: tuple[str, ...], wall: bool) -> float:
    """Seconds (CPU, or wall-clock) for one `pytest --collect-only -q` in a fresh process."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", *extra]
    clock = time.perf_counter if wall else _cpu
    started = clock()
    subprocess.run(command, cwd=root, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return clock() - started


def import_ms() -> float:
    """Milliseconds to import the plugin (package + module) once pytest is imported."""
    command = [sys.executable, "-X", "importtime", "-c", "import pytest, " + PLUGIN_MODULE]
    lines = subprocess.run(command, check=True, capture_output=True, text=True, env=ENV).stderr
    # "import time: self [us] | cumulative | imported package"; the package line comes last.
    for line in lines.splitlines():
        fields = [field.strip() for field in line.removeprefix("import time:").split("|")]
        if fields[-1] == "pytest_llmring_replay":
            return int(fields[1]) / 1000
    raise RuntimeError("the plugin was not imported")


def hooks_ms(root: Path) -> float:
    """Milliseconds spent in the plugin's hooks during one collection (cumulative)."""
    command = [sys.executable, "-c", _PROFILE_SCRIPT]
    done = subprocess.run(command, cwd=root, check=True, capture_output=True, text=True, env=ENV)
    return float(done.stdout.strip().splitlines()[-1])


def loaded_modules(root: Path, extra: tuple[str, ...]) -> set[str]:
    """Modules imported by the end of collection."""
    out = root / "modules.txt"
    command = [sys.executable, "-c", _MODULES_SCRIPT, str(out), *extra]
    subprocess.run(command, cwd=root, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return set(out.read_text().split())


def measure(root: Path, runs: int, wall: bool) -> tuple[list[float], list[float]]:
    """(baseline, plugin on) times in ms, interleaved, starting with each side in turn."""
    baseline: list[float] = []
    plugin: list[float] = []
    collect(root, BASELINE, wall)  # warm the OS file cache and .pyc files
    collect(root, (), wall)
    for run in range(runs):
        if run % 2:
            plugin.append(collect(root, (), wall) * 1000)
            baseline.append(collect(root, BASELINE, wall) * 1000)
        else:
            baseline.append(collect(root, BASELINE, wall) * 1000)
            plugin.append(collect(root, (), wall) * 1000)
    return baseline, plugin


def table(off: list[float], on: list[float]) -> list[float]:
    """Print baseline, plugin-on and paired-difference rows; return the differences."""
    differences = [b - a for a, b in zip(off, on, strict=True)]
    print(f"| {'run':<28} | {'median':>8} | {'p25':>8} | {'p75':>8} | {'min':>8} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
    for label, values in (
        ("-p no:llmring_replay", off),
        ("plugin on", on),
        ("paired difference (on - off)", differences),
    ):
        low, _, high = statistics.quantiles(values, n=4)
        median = statistics.median(values)
        print(f"| {label:<28} | {median:8.1f} | {low:8.1f} | {high:8.1f} | {min(values):8.1f} |")
    return differences


def instructions(root: Path, extra: tuple[str, ...]) -> int:
    """Instructions one collection executes, counted by valgrind's callgrind: the same on
    every run, whatever else the machine does."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, "-m", "pytest", "--collect-only", "-q", *extra]
    done = subprocess.run(command, cwd=root, check=True, capture_output=True, text=True, env=ENV)
    for line in done.stderr.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1])
    raise RuntimeError("callgrind printed no instruction count")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per side (default 11)")
    parser.add_argument("--quick", action="store_true", help="5 runs, never fails")
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not CPU time")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each side's instructions under valgrind (~3 min): the end-to-end "
        "figure without noise",
    )
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root)
        added_modules = sorted(loaded_modules(root, ()) - loaded_modules(root, BASELINE))
        baseline, plugin = measure(root, runs, args.wall)
        hooks = statistics.median(hooks_ms(root) for _ in range(5))
        counted = (
            (instructions(root, BASELINE), instructions(root, ())) if args.instructions else None
        )
    import_cost = statistics.median(import_ms() for _ in range(runs))

    tests = MODULES * TESTS_PER_MODULE
    kind = "wall-clock" if args.wall else "CPU (user + system)"
    print(f"pytest --collect-only -q, {tests} tests in {MODULES} modules, {runs} runs per side")
    print(f"\nfresh process per run, sides interleaved, {kind} ms:\n")
    differences = table(baseline, plugin)
    added = statistics.median(differences)
    low, _, high = statistics.quantiles(differences, n=4)
    print(f"\nadded by the plugin, end to end: {added:+.1f} ms (quartiles {low:+.0f}..{high:+.0f})")
    print("its parts, measured without machine noise:")
    print(f"  importing the plugin after pytest (-X importtime): {import_cost:.2f} ms")
    print(f"  inside its hooks during collection (cProfile, cumulative): {hooks:.2f} ms")
    parts = import_cost + hooks
    print(f"  together: {parts:.2f} ms (target <= {TARGET_MS:g} ms)")
    if counted is not None:
        share = counted[1] / counted[0] - 1
        estimate = share * statistics.median(baseline)
        print(
            f"instructions per collection (callgrind): {counted[0]:,} without, {counted[1]:,} "
            f"with the plugin: {share:+.2%}, about {estimate:+.1f} ms of the baseline's "
            f"{statistics.median(baseline):.0f} ms (target <= {TARGET_MS:g} ms)"
        )
        parts = max(parts, estimate)
    print(f"modules loaded only with the plugin: {', '.join(added_modules) or '(none)'}")
    heavy = [name for name in added_modules if name.split(".")[0] in HEAVY]
    if heavy:
        print(f"heavy modules imported at start-up: {', '.join(heavy)}")
    if args.quick:
        return 0
    return 1 if parts > TARGET_MS or heavy else 0


if __name__ == "__main__":
    sys.exit(main())
