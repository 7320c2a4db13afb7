"""The result store: whole entries or none, corrupt entries are misses, bounded by size, many writers."""
from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from vgptlint.incremental import store as store_module
from vgptlint.incremental.store import ResultStore, prune


def test_a_value_comes_back_equal(tmp_path):
    store = ResultStore(tmp_path)
    store.put("k1", {"findings": [("a", 1)], "states": [b"\x00" * 10]})
    assert store.get("k1") == {"findings": [("a", 1)], "states": [b"\x00" * 10]}
    assert store.get("k2") is None
    assert store.wrote


def test_a_stream_gives_its_values_in_order(tmp_path):
    store = ResultStore(tmp_path)
    writer = store.writer("s")
    for number in range(5):
        writer.add([number] * number)
    assert store.open_values("s") is None  # nothing is visible before commit
    assert writer.commit()
    values = store.open_values("s")
    expected = [[number] * number for number in range(5)]
    assert list(values) == expected
    first, second = iter(values), iter(values)  # iterations interleave: each reads where it left off
    assert [next(first), next(first), next(second), next(first)] == [expected[0], expected[1], expected[0], expected[2]]
    store.put("s", "replaced")
    prune(store, limit=0)  # replaced, then pruned: the open entry reads as it was
    assert list(values) == expected
    values.close()


def corrupt(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flipped":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1:])
    else:
        path.write_bytes(b"")


def test_a_corrupt_entry_is_a_miss_and_is_removed(tmp_path):
    store = ResultStore(tmp_path)
    for how in ("truncated", "flipped", "empty"):
        store.put(how, list(range(1000)))
        corrupt(store.path(how), how)
        assert store.get(how) is None, how
        assert not store.path(how).exists()
        writer = store.writer(how + "-stream")
        writer.add(list(range(1000)))
        writer.commit()
        corrupt(store.path(how + "-stream"), how)
        assert store.open_values(how + "-stream") is None, how  # checked before any value is given


def test_an_unwritable_folder_stores_nothing_and_raises_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = ResultStore(blocker / "results")
    store.put("k", [1])
    assert store.get("k") is None and not store.wrote


def test_pruning_keeps_the_most_recently_used_within_the_bound(tmp_path):
    store = ResultStore(tmp_path)
    for number in range(10):
        store.put(f"k{number}", b"x" * 1000)
        os.utime(store.path(f"k{number}"), (1000 + number, 1000 + number))
    store.get("k0")  # read now: the most recently used
    (store.path("k9").parent / ".tmp-left-by-a-killed-writer").write_bytes(b"")
    os.utime(store.path("k9").parent / ".tmp-left-by-a-killed-writer", (0, 0))
    prune(store, limit=4 * 1100)
    kept = sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and p.name != store_module.SIZE_LEDGER)
    assert kept == ["k0", "k7", "k8", "k9"]


def _write_many(folder: str, worker: int) -> None:
    store = ResultStore(Path(folder))
    for number in range(40):
        store.put(f"shared{number % 5}", [number % 5] * 5000)  # every worker writes the same keys
        store.put(f"own{worker}-{number}", [worker, number])
        found = store.get(f"shared{(number + 1) % 5}")
        assert found is None or found == [(number + 1) % 5] * 5000


def test_concurrent_writers_and_readers_see_whole_entries(tmp_path):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write_many, args=(str(tmp_path), worker)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    assert [process.exitcode for process in workers] == [0] * 4
    store = ResultStore(tmp_path)
    assert [store.get(f"shared{n}") for n in range(5)] == [[n] * 5000 for n in range(5)]
    assert store.get("own3-39") == [3, 39]
    assert not list(tmp_path.rglob(".tmp-*"))


def _ledger(folder: Path) -> tuple[int, int]:
    size, when = (folder / store_module.SIZE_LEDGER).read_text().split()
    return int(size), int(when)


def test_pruning_recounts_only_when_the_bound_may_be_passed(tmp_path):
    store = ResultStore(tmp_path)
    store.put("a", b"x" * 1000)
    prune(store, limit=100_000)  # no count yet: the folder is walked
    size_a = store.path("a").stat().st_size
    assert _ledger(tmp_path)[0] == size_a
    ResultStore(tmp_path).put("other", b"y" * 1000)  # another run's entry, not in this run's count
    store.put("b", b"z" * 1000)
    prune(store, limit=100_000)  # within the bound: the count grows by what this run wrote, no walk
    size_b = store.path("b").stat().st_size
    assert _ledger(tmp_path)[0] == size_a + size_b
    store.put("c", b"w" * 1000)
    for age, name in enumerate(("c", "b", "other", "a")):  # least recently used last
        os.utime(store.path(name), (1000 - age, 1000 - age))
    prune(store, limit=2 * size_a + 100)  # the count would pass the bound: walk, keep the most recent
    kept = sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert kept == ["b", "c"]
    assert _ledger(tmp_path)[0] == sum(store.path(name).stat().st_size for name in kept)


def test_an_old_or_unreadable_count_is_redone(tmp_path):
    store = ResultStore(tmp_path)
    store.put("a", b"x" * 1000)
    size = store.path("a").stat().st_size
    (tmp_path / store_module.SIZE_LEDGER).write_text(f"5 {time.time() - 2 * store_module.SIZE_RECOUNT_SECONDS:.0f}")
    prune(store, limit=100_000)
    assert _ledger(tmp_path)[0] == size
    (tmp_path / store_module.SIZE_LEDGER).write_bytes(b"\xff garbage")
    prune(store, limit=100_000)
    assert _ledger(tmp_path)[0] == size
