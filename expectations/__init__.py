"""One Great Expectations suite per table (see `gate`).

Importing this package first defers what GX imports but newsflow never uses (see DEFERRED_IMPORTS), and hides
from GX's own import the optional libraries of data sources newsflow never uses (HIDDEN_FROM_GX): every suite
module imports GX, so this runs before GX is imported anywhere in newsflow.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types


class _Deferred(types.ModuleType):
    """Stands in sys.modules for a module until its first use. An `import` of it elsewhere reads only its `__spec__`
    (to see whether it is still being initialised), which it answers without importing; reading or setting any
    other attribute imports the real module, which then takes its place in sys.modules (and on its parent package)
    and is what this object reads from for good. (The standard library's `LazyLoader` loads on that `__spec__` read,
    so a second `import` of a lazily loaded module loads it.)"""

    def __init__(self, name: str, spec) -> None:
        super().__init__(name)
        object.__setattr__(self, "_deferred", [spec, None])

    def _real(self):
        deferred = object.__getattribute__(self, "_deferred")
        if deferred[1] is None:
            name = object.__getattribute__(self, "__name__")
            if sys.modules.get(name) is self:
                del sys.modules[name]
            deferred[1] = importlib.import_module(name)  # binds itself on its parent package too
        return deferred[1]

    def __getattribute__(self, attr: str):
        if attr == "__spec__" and object.__getattribute__(self, "_deferred")[1] is None:
            return object.__getattribute__(self, "_deferred")[0]
        return getattr(_Deferred._real(self), attr)

    def __setattr__(self, attr: str, value) -> None:
        setattr(_Deferred._real(self), attr, value)


def _defer_import(name: str) -> None:
    """Put a `_Deferred` stand-in for `name` in sys.modules (and, for a submodule, on its parent, which is what
    `from parent import child` reads), unless it is imported already or not installed."""
    if name in sys.modules:
        return
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name) if parent_name else None
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    sys.modules[name] = stand_in = _Deferred(name, spec)
    if parent is not None:
        setattr(parent, child, stand_in)


# GX imports scipy.stats (0.8 s here) for three distribution expectations and altair (0.15 s) for charts in the
# Data Docs of expectations newsflow never uses: each is imported at its first use instead (a test checks neither
# is imported by validating and building Data Docs, and that both work when used).
DEFERRED_IMPORTS = ("scipy.stats", "altair")


for _name in DEFERRED_IMPORTS:
    _defer_import(_name)


class _HiddenFromGX(importlib.abc.MetaPathFinder):
    """Answers "not installed" to an import of a `HIDDEN_FROM_GX` package made while Great Expectations' own import
    is running, and stays out of the way otherwise: GX then takes the path it takes when that optional library is
    not installed (its stand-ins for SQL data sources). A module already imported is not looked up again, so a
    package someone imported before GX is GX's too; a later `import` of it, by anyone, finds the real package."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in HIDDEN_FROM_GX:
            return None
        gx = sys.modules.get("great_expectations")
        if gx is not None and getattr(getattr(gx, "__spec__", None), "_initializing", False):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden from Great Expectations by newsflow)", name=name)
        return None


# GX imports SQLAlchemy and its dialects (0.5 s here; installed for Prefect's server and duckdb-engine) at its own
# import, for SQL data sources. newsflow validates pandas DataFrames only; a test checks that every suite gives the
# same results, failures included, with GX seeing SQLAlchemy and without, and that SQLAlchemy still imports after.
HIDDEN_FROM_GX = frozenset({"sqlalchemy"})

if not any(isinstance(finder, _HiddenFromGX) for finder in sys.meta_path):
    sys.meta_path.insert(0, _HiddenFromGX())
