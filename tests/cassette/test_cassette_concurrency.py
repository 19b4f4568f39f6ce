"""Several writers, one cassette: threads, processes and `record --append` lose nothing.

Issue 11: four `record --append` processes into one file kept 5 of 20 interactions while each
printed "Recorded interaction N". Every writer now takes the cassette's file lock and appends
to its journal, and whoever writes the whole file merges what is on disk first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.simulator import Script, SimulatorServer
from tests.cassette.recorder import ROOT, in_file, item, questions, spawn


def in_threads(threads: int, work: Callable[[int], None]) -> None:
    """Run `work(n)` for n in range(threads) at once; re-raise the first error any raised."""
    errors: list[BaseException] = []

    def guarded(number: int) -> None:
        try:
            work(number)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    workers = [threading.Thread(target=guarded, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]


def test_threads_recording_into_one_cassette_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    Cassette(path, [item(0)]).save()
    shared = Cassette.load(path)  # half the threads share this one, half load their own
    per_thread, threads = 15, 6

    def work(number: int) -> None:
        cassette = shared if number % 2 else Cassette.load(path)
        for question in range(number * 100 + 1, number * 100 + 1 + per_thread):
            cassette.record(item(question))
        cassette.finish()

    in_threads(threads, work)
    expected = [0, *(n * 100 + 1 + q for n in range(threads) for q in range(per_thread))]
    kept = questions(Cassette.load(path))
    assert sorted(kept) == sorted(expected)  # kept 91 of 91 written, none twice
    assert in_file(path) == kept  # all finished: the file alone holds every one (vcrpy)
    # The shared cassette's own list got each of its threads' interactions once, in order.
    mine = [q for q in questions(shared) if q]
    assert sorted(mine) == sorted(q for q in expected if (q // 100) % 2)


def test_threads_saving_one_cassette_lose_nothing(tmp_path: Path) -> None:
    # Whole-cassette saves (the API before `record`, still public): each thread loads, adds
    # one and saves, over and over; every save merges what the others saved since its load.
    path = tmp_path / "c.yaml"
    Cassette(path, [item(0)]).save()
    per_thread, threads = 5, 6

    def work(number: int) -> None:
        for question in range(number * 100 + 1, number * 100 + 1 + per_thread):
            cassette = Cassette.load(path)
            cassette.interactions.append(item(question))
            cassette.save()

    in_threads(threads, work)
    expected = [0, *(n * 100 + 1 + q for n in range(threads) for q in range(per_thread))]
    assert sorted(in_file(path)) == sorted(expected)  # kept 31 of 31 saved, none twice


def test_processes_recording_into_one_cassette_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    processes, each = 4, 6
    running = [spawn(path, "new_episodes", 1000 * n, each) for n in range(processes)]
    outputs = [process.communicate(timeout=300) for process in running]
    for process, (out, err) in zip(running, outputs, strict=True):
        assert process.returncode == 0, err
        assert out.splitlines()[-1] == "finished"
    acknowledged = [line for out, _ in outputs for line in out.splitlines() if "stored" in line]
    assert len(acknowledged) == processes * each
    kept = in_file(path)
    assert sorted(kept) == sorted(1000 * n + q for n in range(processes) for q in range(each))
    assert questions(Cassette.load(path)) == kept
    assert sorted(os.listdir(tmp_path)) == [".c.yaml.lock", "c.yaml"]  # no journal left


CLI_CHILD = """
import sys
from llmring_replay.cli import main

path, base_url, worker, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for number in range(count):
    arguments = ["record", "-m", "ollama:llama3.2", "-p", f"question {worker}-{number}"]
    arguments += ["--base-url", base_url, "-o", path, "--append"]
    try:
        main(arguments, standalone_mode=False)
    except SystemExit as exit:
        assert not exit.code, exit.code
"""


def test_concurrent_record_append_processes_lose_nothing(tmp_path: Path) -> None:
    # The finding: four `record --append` processes, five recordings each, kept 5 of 20.
    path = tmp_path / "c.yaml"
    processes, each = 4, 5
    with SimulatorServer(Script(text="Hi!", ttft=0.0, interval=0.0)) as sim:
        base_url = sim.base_url_for("ollama")
        running = [
            subprocess.Popen(
                [sys.executable, "-c", CLI_CHILD, str(path), base_url, str(n), str(each)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(processes)
        ]
        outputs = [process.communicate(timeout=300) for process in running]
    for process, (_, err) in zip(running, outputs, strict=True):
        assert process.returncode == 0, err
    prompts = [
        json.loads(interaction.request.body or b"{}")["messages"][-1]["content"]
        for interaction in Cassette.load(path).interactions
    ]
    expected = sorted(f"question {n}-{i}" for n in range(processes) for i in range(each))
    assert sorted(prompts) == expected  # kept 20 of 20 written
    assert len(in_file_interactions(path)) == processes * each  # the file alone holds them
    # Each said "Recorded interaction N" once, with N where its interaction is in the file.
    said: dict[int, str] = {}
    for worker, (out, _) in enumerate(outputs):
        lines = [line for line in out.splitlines() if line.startswith("Recorded")]
        assert len(lines) == each
        for number, line in enumerate(lines):
            said[int(line.split()[2])] = f"question {worker}-{number}"
    assert said == dict(enumerate(prompts))


def in_file_interactions(path: Path) -> list[object]:
    import yaml

    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"])


def test_save_merges_what_another_writer_recorded_since_the_load(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    Cassette(path, [item(0), item(1)]).save()
    mine = Cassette.load(path)
    theirs = Cassette.load(path)
    theirs.record(item(20))
    theirs.finish()
    mine.interactions.append(item(10))
    mine.save()
    assert questions(Cassette.load(path)) == [0, 1, 10, 20]  # ours, then theirs; none twice
    assert questions(mine) == [0, 1, 10, 20]  # what stays in memory is what is on disk


def test_save_keeps_deliberate_removals_when_nobody_else_wrote(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    Cassette(path, [item(0), item(1), item(2)]).save()
    cassette = Cassette.load(path)
    del cassette.interactions[1]
    cassette.save()
    assert questions(Cassette.load(path)) == [0, 2]


def test_save_keeps_repeated_interactions_as_many_times_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    Cassette(path, [item(0), item(0)]).save()
    cassette = Cassette.load(path)
    other = Cassette.load(path)
    other.record(item(5))
    other.finish()
    cassette.interactions.append(item(0))
    cassette.save()
    assert questions(Cassette.load(path)) == [0, 0, 0, 5]


def test_save_over_a_file_someone_else_created_merges_it(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    fresh = Cassette(path=path)  # nothing there yet
    Cassette(path, [item(1)]).save()  # another writer gets there first
    fresh.interactions.append(item(2))
    fresh.save()
    assert questions(Cassette.load(path)) == [2, 1]


@pytest.mark.parametrize("how", ["record", "save"])
def test_a_symlinked_cassette_is_written_through_and_the_link_kept(
    tmp_path: Path, how: str
) -> None:
    # Issue 11: saving over a symlinked cassette replaced the link with a file.
    target = tmp_path / "shared" / "real.yaml"
    target.parent.mkdir()
    Cassette(target, [item(0)]).save()
    link = tmp_path / "c.yaml"
    link.symlink_to(Path("shared") / "real.yaml")
    cassette = Cassette.load(link)
    if how == "record":
        cassette.record(item(1))
        cassette.record(item(2))
        cassette.finish()
    else:
        cassette.interactions.append(item(1))
        cassette.save()
    assert link.is_symlink() and os.readlink(link) == str(Path("shared") / "real.yaml")
    assert questions(Cassette.load(target)) == questions(Cassette.load(link))
    assert in_file(target) == ([0, 1, 2] if how == "record" else [0, 1])
    assert sorted(os.listdir(tmp_path)) == ["c.yaml", "shared"]
    assert sorted(os.listdir(target.parent)) == [".real.yaml.lock", "real.yaml"]


def test_a_link_and_its_target_share_one_lock_and_one_journal(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    Cassette(target, [item(0)]).save()
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    through_link, direct = Cassette.load(link), Cassette.load(target)
    through_link.record(item(1))
    direct.record(item(2))
    assert questions(Cassette.load(link)) == [0, 1, 2]
    through_link.finish()
    direct.finish()
    assert in_file(target) == [0, 1, 2]
