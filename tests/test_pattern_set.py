"""A pattern set: many expressions searched in one pass, compiled once per machine."""

import threading
from pathlib import Path

import pytest

from bot import pattern_set
from bot.pattern_set import PatternSet


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("HEART_CACHE_DIR", str(where))
    pattern_set._kept.clear()  # as a new process: nothing compiled yet
    return where


def test_each_expression_that_matches_is_told_with_where_its_matches_end():
    patterns = PatternSet([" want to die ", " kill[^ ]* ", " pills "], "test")
    text = " i want to die | killing it | i want to die "
    #        0         1         2         3         4
    #        0123456789012345678901234567890123456789012345
    assert patterns.ends(text) == {0: [15, 44], 1: [25]}
    assert patterns.ends(" nothing here ") == {}


def test_a_set_within_one_compiled_before_is_searched_with_it(folder):
    everything = PatternSet([" want to die ", " hopeless ", " want to die ", " calm "], "test")
    some = PatternSet([" calm ", " want to die ", " calm "], "test")  # one left out, one twice
    assert some._database is everything._database
    assert some.ends(" i want to die | calm ") == {1: [15], 0: [22], 2: [22]}


def test_an_empty_set_matches_nothing():
    assert PatternSet([], "test").ends(" anything ") == {}


def test_threads_search_the_same_set_at_once():
    patterns = PatternSet([" want to die ", " hopeless "], "test")
    texts = [" i want to die " * 500, " hopeless " * 500, " calm " * 500] * 20  # long enough for searches to overlap
    expected = [patterns.ends(text) for text in texts]
    results: list[list[dict[int, list[int]]]] = []

    def search() -> None:
        results.append([patterns.ends(text) for text in texts])

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


def test_a_set_slow_to_compile_is_kept_and_read_back(folder, monkeypatch):
    monkeypatch.setattr(pattern_set, "WORTH_KEEPING", 0.0)  # every set is worth keeping here
    PatternSet([" hopeless "], "test")
    (hopeless,) = folder.glob("test-*")
    PatternSet([" want to die "], "test")
    (dying,) = set(folder.glob("test-*")) - {hopeless}
    # Read back, not compiled again: given the other set's file, it searches as that set does.
    dying.write_bytes(hopeless.read_bytes())
    pattern_set._kept.clear()
    assert PatternSet([" want to die "], "test").ends(" so hopeless ") == {0: [13]}


def test_a_damaged_kept_set_is_compiled_again(folder, monkeypatch):
    monkeypatch.setattr(pattern_set, "WORTH_KEEPING", 0.0)
    PatternSet([" want to die "], "test")
    (kept,) = folder.glob("test-*")
    kept.write_bytes(b"cut short")
    pattern_set._kept.clear()
    assert PatternSet([" want to die "], "test").ends(" i want to die ") == {0: [15]}


def test_a_set_quick_to_compile_is_not_kept(folder):
    PatternSet([" want to die "], "test")
    assert not list(folder.glob("test-*"))
