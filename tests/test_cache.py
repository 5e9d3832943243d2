"""What a start reads from the cache folder instead of computing: never stale, never required."""

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cache, runtime, safety
from bot.errors import ContentError
from bot.runtime import load_content
from tests.conftest import FIXTURE_CONTENT, REAL_CONTENT

# Said about oneself, about someone else, with a typo, as an idiom, negated: the safety net's kinds of reading.
TEXTS = [
    "I want to die",
    "I've been feeling sucidal lately",
    "a student told me she wants to kill herself",
    "we were killing it at the fair today",
    "I'm not suicidal, just tired",
    "part of me hoped the scan would show something",
]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("HEART_CACHE_DIR", str(where))
    return where


def cached_files(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f"{name}-*"))


@pytest.fixture
def without_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder holding what the run's holds (the safety net's compiled patterns, the typo
    reader's words) but no content: a start reads the content, and compiles nothing."""
    where = tmp_path / "cache"
    content = shutil.ignore_patterns(f"{runtime.CONTENT_CACHE}-*", f"{runtime.SHAREOUT_CACHE}-*")
    shutil.copytree(os.environ["HEART_CACHE_DIR"], where, ignore=content)
    monkeypatch.setenv("HEART_CACHE_DIR", str(where))
    return where


def test_a_file_is_read_back_only_for_its_own_version(folder):
    assert cache.read("words", cache.key("a")) is None
    cache.write("words", cache.key("a"), b"first")
    assert cache.read("words", cache.key("a")) == b"first"
    assert cache.read("words", cache.key("b")) is None
    cache.write("words", cache.key("b"), b"second")
    assert cache.read("words", cache.key("b")) == b"second"
    assert cache.read("words", cache.key("a")) == b"first"


def test_only_the_versions_used_last_are_kept(folder):
    versions = [cache.key(str(n)) for n in range(cache.KEPT_VERSIONS)]
    for number, version in enumerate(versions):
        cache.write("words", version, b"data")
        os.utime(folder / f"words-{version}", (number, number))  # written in this order, long ago
    cache.read("words", versions[0])  # the oldest, used again
    cache.write("words", cache.key("new"), b"data")
    kept = {path.name.removeprefix("words-") for path in cached_files(folder, "words")}
    assert kept == {cache.key("new"), versions[0], *versions[2:]}  # the one used least recently went


def test_keys_tell_apart_parts_that_join_the_same():
    assert cache.key("ab", "c") != cache.key("a", "bc")
    assert cache.key("ab", "c") == cache.key(b"ab", b"c")


def test_a_folder_that_cannot_be_written_only_costs_the_cache(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("HEART_CACHE_DIR", str(blocked / "cache"))
    cache.write("words", cache.key("a"), b"data")  # no error
    assert cache.read("words", cache.key("a")) is None


def test_content_is_read_once_then_taken_from_the_cache(folder, tmp_path, monkeypatch):
    content_dir = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content_dir)
    read = load_content(content_dir)
    assert len(cached_files(folder, runtime.CONTENT_CACHE)) == 1

    reads: list[Path] = []
    monkeypatch.setattr(runtime, "_read_content", lambda root: reads.append(root))  # would return None
    kept = load_content(content_dir)
    assert reads == []  # not read again
    assert kept == read
    assert kept.glossary == read.glossary and kept.tipsheets == read.tipsheets and kept.sessions == read.sessions
    for text in TEXTS:  # the safety net, rebuilt from what was cached, hears exactly the same
        assert kept.shareout.crisis.hears(text) == read.shareout.crisis.hears(text), text
        assert kept.shareout.crisis.is_crisis_topic(text) == read.shareout.crisis.is_crisis_topic(text), text


def test_a_changed_file_is_read_afresh(folder, tmp_path):
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    before = load_content(content_dir)
    sheet = next(content_dir.glob("tipsheets/*.md"))
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("title: ", "title: Revised ", 1), encoding="utf-8")
    after = load_content(content_dir)
    assert {s.title for s in after.tipsheets} != {s.title for s in before.tipsheets}
    assert any(s.title.startswith("Revised ") for s in after.tipsheets)


def test_a_changed_glossary_reuses_the_safety_net_read_before_and_a_changed_rule_rebuilds_it(folder, tmp_path):
    # Building the safety net is most of reading the content: it is kept apart, under a key
    # of its own files, so an editor's change to the glossary is checked in a moment.
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    load_content(content_dir)
    entries = next(content_dir.glob("glossary/*.yml"))
    entries.write_text(entries.read_text(encoding="utf-8").replace("definition: ", "definition: Revised. ", 1), encoding="utf-8")
    compiled = runtime.load_shareout_content
    builds: list[Path] = []

    def counted(root, *args):
        builds.append(root)
        return compiled(root, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runtime, "load_shareout_content", counted)
        revised = load_content(content_dir)
        assert builds == []  # the net was taken from the cache...
        assert any(entry.definition.startswith("Revised. ") for entry in revised.glossary)
        assert revised.shareout.crisis.hears("I want to die") is not None
        crisis = content_dir / "crisis.yml"
        crisis.write_text(crisis.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        load_content(content_dir)
        assert builds == [content_dir]  # ...and built afresh once one of its own files changed
    assert len(cached_files(folder, runtime.SHAREOUT_CACHE)) == 2


def test_invalid_content_is_refused_even_after_a_valid_version_was_cached(folder, tmp_path):
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    load_content(content_dir)
    (content_dir / "shareout.yml").write_text("sectors: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match="shareout.yml"):
        load_content(content_dir)
    with pytest.raises(ContentError, match="shareout.yml"):  # and the problem is not cached either
        load_content(content_dir)


LOAD = """
import sys
from pathlib import Path
from bot.runtime import load_content
load_content(Path(sys.argv[1]), apart=sys.argv[2] == "apart")
print("built here" if "bot.pattern_set" in sys.modules else "taken from the cache")
"""


def test_a_serving_start_without_the_content_cached_reads_it_in_a_child_then_from_the_cache(without_content, tmp_path):
    # Reading and checking the content makes far more than the content keeps: read in a child,
    # it leaves the serving process none of it (the safety net is not even built there).
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    env = {**os.environ, "HEART_CACHE_DIR": str(without_content)}

    def start(how: str) -> str:
        ran = subprocess.run([sys.executable, "-c", LOAD, str(content_dir), how], env=env, capture_output=True, text=True)
        assert ran.returncode == 0, ran.stderr
        return ran.stdout.strip()

    assert start("apart") == "taken from the cache"
    for kept in cached_files(without_content, runtime.CONTENT_CACHE) + cached_files(without_content, runtime.SHAREOUT_CACHE):
        kept.unlink()
    assert start("here") == "built here"  # the same start, reading the files itself


def test_invalid_content_read_apart_is_refused_here_with_its_problems(without_content, tmp_path):
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    (content_dir / "shareout.yml").write_text("sectors: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match="shareout.yml"):
        load_content(content_dir, apart=True)
    assert cached_files(without_content, runtime.CONTENT_CACHE) == []


def test_a_damaged_cache_file_is_read_past(folder, tmp_path):
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    read = load_content(content_dir)
    [kept] = cached_files(folder, runtime.CONTENT_CACHE)
    kept.write_bytes(pickle.dumps(read)[:100])  # cut short
    assert load_content(content_dir) == read


def test_the_typo_readers_dictionary_is_the_same_from_the_cache(folder):
    computed = safety.dictionary_words.__wrapped__()
    assert len(cached_files(folder, safety.DICTIONARY_CACHE)) == 1
    assert safety.dictionary_words.__wrapped__() == computed
    assert "hunting" in computed and len(computed) > 10_000


UNPICKLINGS: list[int] = []


class Counted:
    """Counts how often it is unpickled."""

    def __reduce__(self):
        return _counted, ()


def _counted() -> Counted:
    UNPICKLINGS.append(1)
    return Counted()


def test_a_value_kept_pickled_is_unpickled_once_when_first_asked_for():
    import threading

    UNPICKLINGS.clear()
    later = pickle.loads(pickle.dumps(cache.Unpickled(Counted())))
    assert UNPICKLINGS == []  # not yet
    found: list[object] = []
    threads = [threading.Thread(target=lambda: found.append(later.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert UNPICKLINGS == [1] and len({id(value) for value in found}) == 1
    assert pickle.loads(pickle.dumps(later)).get() is not later.get()  # pickled again, it is a copy


def test_the_safety_net_from_the_cache_waits_to_be_unpickled_until_used(folder, tmp_path):
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    read = load_content(content_dir)
    kept = load_content(content_dir)
    assert kept.shareout.safety_net._pickled is not None  # a start does not wait for it
    assert kept.shareout.crisis == read.shareout.crisis
    assert kept.shareout.crisis is kept.shareout.crisis
