"""One Great Expectations suite per table (see `gate`).

Importing this package first defers what GX imports but newsflow never uses (see DEFERRED_IMPORTS): every suite
module imports GX, so this runs before GX is imported anywhere in newsflow.
"""

from __future__ import annotations


def _defer_import(name: str) -> None:
    """Make `from parent import child` give a module that executes on first attribute use (the standard library's
    `importlib.util.LazyLoader`). Only for a submodule (a plain `import name` would load it at once)."""
    import importlib
    import importlib.util
    import sys

    if name in sys.modules:
        return
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    setattr(parent, child, module)


# GX imports scipy.stats (1.5 s here, a fifth of importing GX) for three distribution expectations newsflow never
# uses: it is loaded when first used instead.
DEFERRED_IMPORTS = ("scipy.stats",)


for _name in DEFERRED_IMPORTS:
    _defer_import(_name)
