"""The recording journal: durable appends, what readers see, torn records, seals, orphans."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette, journal
from llmring_replay.exceptions import CassetteFormatError, CassetteWriteError
from tests.cassette.recorder import in_file, item, questions

OTHER = "0" * 64  # the digest of some other file


def recorded(tmp_path: Path, count: int, old: int = 0) -> tuple[Cassette, Path]:
    """A cassette file with `old` interactions, then `count` recorded (not finished)."""
    path = tmp_path / "c.yaml"
    if old:
        Cassette(path, [item(n) for n in range(old)]).save()
        cassette = Cassette.load(path)
    else:
        cassette = Cassette(path=path)
    for number in range(old, old + count):
        cassette.record(item(number))
    return cassette, path


def test_record_is_durable_before_it_returns_and_readers_see_it(tmp_path: Path) -> None:
    cassette, path = recorded(tmp_path, 3)
    # The first interaction wrote the file; the others are in the journal beside it.
    assert in_file(path) == [0]
    assert (tmp_path / ".c.yaml.journal").exists()
    assert questions(Cassette.load(path)) == [0, 1, 2]
    assert questions(cassette) == [0, 1, 2]


def test_finish_folds_the_journal_into_the_file_and_removes_it(tmp_path: Path) -> None:
    cassette, path = recorded(tmp_path, 4, old=2)
    cassette.finish()
    assert in_file(path) == [0, 1, 2, 3, 4, 5]
    assert sorted(os.listdir(tmp_path)) == [".c.yaml.lock", "c.yaml"]  # no journal or temp file
    assert questions(Cassette.load(path)) == [0, 1, 2, 3, 4, 5]


def test_finish_without_recording_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    Cassette(path, [item(0)]).save()
    before = os.stat(path)
    Cassette.load(path).finish()
    assert os.stat(path).st_ino == before.st_ino


def test_a_torn_last_record_is_skipped(tmp_path: Path) -> None:
    # A kill (or a full disk) in the middle of an append: that one was never acknowledged.
    _, path = recorded(tmp_path, 3)
    journal_file = tmp_path / ".c.yaml.journal"
    data = journal_file.read_bytes()
    journal_file.write_bytes(data[:-7])
    assert questions(Cassette.load(path)) == [0, 1]


def test_appends_after_a_torn_record_are_found(tmp_path: Path) -> None:
    cassette, path = recorded(tmp_path, 3)
    journal_file = tmp_path / ".c.yaml.journal"
    data = journal_file.read_bytes()
    # Cut the last record short, as a kill mid-write does, in place (same file).
    with open(journal_file, "r+b") as handle:
        handle.truncate(len(data) - 30)
    cassette.record(item(3))
    cassette.record(item(4))
    assert questions(Cassette.load(path)) == [0, 1, 3, 4]
    cassette.finish()
    assert in_file(path) == [0, 1, 3, 4]


def test_a_garbled_record_in_the_middle_is_skipped_and_the_rest_kept() -> None:
    entries = [journal.record("entry", f"e{n}".encode()) for n in range(3)]
    garbled = entries[1][:-1] + b"X"  # checksum no longer matches
    data = journal.digest_record("base", OTHER) + entries[0] + garbled + entries[2]
    parsed = journal.parse(data)
    assert parsed.base == OTHER
    assert parsed.entries == [b"e0", b"e2"]


def test_a_compaction_killed_after_its_rename_is_not_counted_twice(tmp_path: Path) -> None:
    cassette, path = recorded(tmp_path, 3, old=1)
    kept = (tmp_path / ".c.yaml.journal").read_bytes()
    cassette.finish()
    # Put the journal back as a kill between the rename and the removal leaves it: sealed.
    sealed = kept + journal.digest_record("sealed", journal.digest(path.read_bytes()))
    (tmp_path / ".c.yaml.journal").write_bytes(sealed)
    assert questions(Cassette.load(path)) == [0, 1, 2, 3]
    # The next writer removes the spent journal and starts a new one.
    again = Cassette.load(path)
    again.record(item(4))
    again.finish()
    assert in_file(path) == [0, 1, 2, 3, 4]


def test_a_compaction_killed_before_its_rename_leaves_everything_pending(tmp_path: Path) -> None:
    cassette, path = recorded(tmp_path, 2, old=1)
    journal_file = tmp_path / ".c.yaml.journal"
    # Sealed for a temp file that never replaced the cassette.
    with open(journal_file, "ab") as handle:
        handle.write(journal.digest_record("sealed", OTHER))
    assert questions(Cassette.load(path)) == [0, 1, 2]
    cassette.record(item(3))
    cassette.finish()
    assert in_file(path) == [0, 1, 2, 3]


def test_a_journal_whose_file_was_replaced_is_a_loud_error(tmp_path: Path) -> None:
    _, path = recorded(tmp_path, 3)
    # The recording was killed; then the file is replaced (a checkout, an editor).
    Cassette(path, [item(7)]).save(replace=True)
    (tmp_path / ".c.yaml.journal").write_bytes(_orphan_journal())
    with pytest.raises(CassetteWriteError, match=r"\.c\.yaml\.journal holds 2 interaction") as info:
        Cassette.load(path)
    assert str(path) in str(info.value) and "Delete .c.yaml.journal" in str(info.value)
    with pytest.raises(CassetteWriteError, match="holds 2 interaction"):
        Cassette(path, [item(8)]).save()  # a merge would have to guess
    writer = Cassette(path=path)
    with pytest.raises(CassetteWriteError, match="holds 2 interaction"):
        writer.record(item(8))
    assert writer.interactions == []  # not counted: it was not stored
    # Replacing the whole cassette is what discards it.
    Cassette(path, [item(9)]).save(replace=True)
    assert questions(Cassette.load(path)) == [9]
    assert sorted(os.listdir(tmp_path)) == [".c.yaml.lock", "c.yaml"]


def _orphan_journal() -> bytes:
    payloads = [journal.record("entry", b"{}"), journal.record("entry", b"{}")]
    return journal.digest_record("base", OTHER) + b"".join(payloads)


def test_a_spent_journal_without_entries_is_ignored_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    Cassette(path, [item(0)]).save()
    (tmp_path / ".c.yaml.journal").write_bytes(journal.digest_record("base", OTHER))
    assert questions(Cassette.load(path)) == [0]
    cassette = Cassette.load(path)
    cassette.record(item(1))
    cassette.finish()
    assert in_file(path) == [0, 1]
    assert sorted(os.listdir(tmp_path)) == [".c.yaml.lock", "c.yaml"]


def test_an_unreadable_file_on_disk_stops_the_compaction_and_keeps_the_journal(
    tmp_path: Path,
) -> None:
    cassette, path = recorded(tmp_path, 3)
    journal_file = tmp_path / ".c.yaml.journal"
    entries = journal.parse(journal_file.read_bytes()).entries
    path.write_text("interactions: [\n", encoding="utf-8")  # the file became unreadable
    # ... while the journal still extends it (as if recorded on top of it).
    base = journal.digest_record("base", journal.digest(path.read_bytes()))
    journal_file.write_bytes(base + b"".join(journal.record("entry", e) for e in entries))
    with pytest.raises(CassetteWriteError, match="it cannot be read") as info:
        cassette.finish()
    assert str(path) in str(info.value)
    assert "the 2 interaction(s) of .c.yaml.journal are kept there" in str(info.value)
    assert journal.parse(journal_file.read_bytes()).entries == entries
    assert path.read_text(encoding="utf-8") == "interactions: [\n"


def test_an_unreadable_file_is_not_merged_over_by_save(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("interactions: [\n", encoding="utf-8")
    with pytest.raises(CassetteWriteError, match="cannot merge into the file on disk") as info:
        Cassette(path, [item(0)]).save()
    assert str(info.value).startswith(f"{path}: ") and info.value.path == str(path)
    assert path.read_text(encoding="utf-8") == "interactions: [\n"  # nothing was written
    Cassette(path, [item(0)]).save(replace=True)  # unless told to replace it
    assert questions(Cassette.load(path)) == [0]


def test_a_garbled_entry_with_a_good_checksum_names_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    Cassette(path, [item(0)]).save()
    base = journal.digest_record("base", journal.digest(path.read_bytes()))
    entry = journal.record("entry", b"request: [unclosed\n")
    (tmp_path / ".c.yaml.journal").write_bytes(base + entry)
    with pytest.raises(CassetteFormatError, match=r"\.c\.yaml\.journal"):
        Cassette.load(path)


def _fail_fsync(patch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    patch.setattr(os, "fsync", fsync)


def test_a_full_disk_while_recording_stores_nothing_and_says_so(tmp_path: Path) -> None:
    cassette, path = recorded(tmp_path, 2)
    journal_before = (tmp_path / ".c.yaml.journal").read_bytes()
    with pytest.MonkeyPatch.context() as patch:
        _fail_fsync(patch)
        with pytest.raises(CassetteWriteError, match=r"\(this interaction was not recorded\)"):
            cassette.record(item(2))
    assert questions(cassette) == [0, 1]  # not counted
    assert (tmp_path / ".c.yaml.journal").read_bytes() == journal_before  # no partial record
    cassette.record(item(3))
    assert questions(Cassette.load(path)) == [0, 1, 3]


def test_a_full_disk_while_folding_in_keeps_the_journal_and_says_so(tmp_path: Path) -> None:
    cassette, path = recorded(tmp_path, 3, old=1)
    before = path.read_bytes()
    with pytest.MonkeyPatch.context() as patch:
        _fail_fsync(patch)
        kept = r"the recorded interactions are kept in \.c\.yaml\.journal; the next write folds"
        with pytest.raises(CassetteWriteError, match=r"No space left on device \(" + kept):
            cassette.finish()
    assert path.read_bytes() == before
    assert questions(Cassette.load(path)) == [0, 1, 2, 3]
    cassette.finish()  # tried again once there is room
    assert in_file(path) == [0, 1, 2, 3]
    assert sorted(os.listdir(tmp_path)) == [".c.yaml.lock", "c.yaml"]


def test_a_journal_goes_with_its_file_when_both_are_copied(tmp_path: Path) -> None:
    # A killed recording's folder copied, or checked out elsewhere: other inodes, same bytes.
    source = tmp_path / "here"
    source.mkdir()
    recorded(source, 3, old=1)
    copy = tmp_path / "there"
    shutil.copytree(source, copy)
    assert questions(Cassette.load(copy / "c.yaml")) == [0, 1, 2, 3]
    cassette = Cassette.load(copy / "c.yaml")
    cassette.record(item(4))
    cassette.finish()
    assert in_file(copy / "c.yaml") == [0, 1, 2, 3, 4]
    # The original is a cassette of its own still: its journal pending, untouched.
    assert in_file(source / "c.yaml") == [0]
    assert questions(Cassette.load(source / "c.yaml")) == [0, 1, 2, 3]
