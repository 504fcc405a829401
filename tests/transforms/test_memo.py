"""Memo caches stay bounded: a worker lives for a whole run, and a cache that keeps filling makes a long run end
higher in memory than a short one."""

import functools
import importlib
import pkgutil

import transforms
from transforms.gazetteer import gazetteer
from transforms.memo import MEMO_SIZE, memo


def _cached_functions():
    for info in pkgutil.iter_modules(transforms.__path__):
        module = importlib.import_module(f"transforms.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, functools._lru_cache_wrapper) and getattr(value, "__module__", None) == module.__name__:
                yield f"{module.__name__}.{name}", value


def test_every_cache_in_transforms_is_bounded_by_memo_size():
    found = dict(_cached_functions())
    assert {"transforms.names.basename", "transforms.names.surname", "transforms.timex._normalized"} <= set(found)
    for name, fn in found.items():
        size = fn.cache_parameters()["maxsize"]
        # maxsize 1: a table or lexicon loaded once; anything else memoises look-ups and must be bounded
        assert size == 1 or (size is not None and size <= MEMO_SIZE), (name, size)


def test_the_gazetteer_place_cache_is_bounded():
    assert gazetteer()._cached_place.cache_parameters()["maxsize"] == MEMO_SIZE


def test_a_memo_cache_holds_its_last_memo_size_arguments():
    calls = []

    @memo
    def square(x):
        calls.append(x)
        return x * x

    for x in range(MEMO_SIZE + 10):
        assert square(x) == x * x
    assert square.cache_info().currsize == MEMO_SIZE
    square(MEMO_SIZE + 9)  # recent: remembered
    square(0)  # evicted: computed again
    assert calls.count(MEMO_SIZE + 9) == 1 and calls.count(0) == 2
