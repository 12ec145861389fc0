"""Atomic replacement: the new content in full, the old one replaced, no temporary left."""

from aded_engine.atomic_file import write_atomically
from aded_engine.json_map import read_json_entry, write_json_entry


def test_a_file_is_replaced_whole_and_no_temporary_file_stays(tmp_path):
    path = tmp_path / "table.bin"
    write_atomically(path, b"old content, longer than the new one")
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["table.bin"]


def test_json_entries_are_written_through_it(tmp_path):
    path = tmp_path / "map.json"
    write_json_entry(path, "a", {"x": 1})
    write_json_entry(path, "b", [2])
    assert read_json_entry(path, "a") == {"x": 1} and read_json_entry(path, "b") == [2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.json"]
