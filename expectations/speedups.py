"""Fixes for costs Great Expectations pays per expectation, per validation.

`Expectation._get_domain_kwargs` and its three siblings below look up each key in `self.configuration.kwargs`, and
`configuration` is a property that dumps the whole expectation (pydantic) into a new `ExpectationConfiguration`
on every access: validating one small shard's six tables rebuilt it 14,000 times, a third of the validation time.
The replacements build it once per call and return the same values (tests/test_expectations.py compares them on
every expectation of every suite). They replace only the exact code they were written against, checked by hash:
a GX release that changes these methods keeps its own code, and the test that the fix is in place fails so
someone looks again.

Two more, on the module-level functions GX calls through (same guard): metric ids and expectation type names.
Every metric GX plans for an expectation gets an id, the md5 of its arguments as JSON, and GX first converts the
arguments with `convert_to_json_serializable`, which tries some twenty type checks (numpy's among them) on every
value before it reaches `None`: a fifth of a validation here. `_json_ids` returns plain JSON values (str, int,
bool, None, floats, and lists and dicts of them) as GX returns them and hands anything else to GX. And
`configuration` names the expectation's type from its class name with two regex substitutions on each of its
thousands of calls; `camel_to_snake` is a pure function of the name, so its results are kept.

And one in pydantic's v1 models, which GX's expectations are: `dict()` rebuilds every list field item by item
through `_get_value` (a recursive call with eight arguments per item), and each `configuration` dumps the
expectation whole, so a suite's lists of a shard's article ids were walked thousands of times per validation. A
list, tuple or set of plain values (str, int, float, bool, None) with nothing included or excluded comes back as
a copy of the same type, which is what `_get_value` makes of it item by item; anything else goes to pydantic.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from functools import lru_cache
from typing import Any, Optional

# sha1 of the source of each method replaced, as in great_expectations 1.24.1 (expectations/expectation.py).
REPLACED = {
    "_get_success_kwarg": "af7d8e8abc123a2582761b7541555b9625855bf8",
    "_get_domain_kwargs": "6380db1b46144995bb7afcda2498095d914a8c3c",
    "_get_success_kwargs": "fc63cf590626cbc080b48289652d334e9fe4f148",
    "_get_runtime_kwargs": "181bdedbab303a24b8c820d860a645dfe8725d94",
}

_logger = logging.getLogger("great_expectations.expectations.expectation")


def source_hash(fn) -> str:
    return hashlib.sha1(inspect.getsource(fn).encode()).hexdigest()


def _success_kwarg(self, kwargs: dict, key: str, default: Any = None) -> Any:
    if key in kwargs:
        return kwargs[key]
    field = self.__fields__.get(key)
    if field is not None:
        return field.default if not field.required else default
    _logger.warning(f'_get_success_kwarg called with key "{key}", but it is not a known field of {type(self).__name__}')
    return default


def _domain_kwargs(self, kwargs: dict) -> dict:
    return {key: kwargs.get(key, self._get_default_value(key)) for key in self.domain_keys}


def _success_kwargs(self, kwargs: dict) -> dict:
    domain = _domain_kwargs(self, kwargs)
    success = {key: kwargs.get(key, self._get_default_value(key)) for key in self.success_keys}
    success.update(domain)
    return success


def _get_success_kwarg(self, key: str, default: Any = None) -> Any:
    return _success_kwarg(self, self.configuration.kwargs, key, default)


def _get_domain_kwargs(self) -> dict:
    return _domain_kwargs(self, self.configuration.kwargs)


def _get_success_kwargs(self) -> dict:
    return _success_kwargs(self, self.configuration.kwargs)


def _get_runtime_kwargs(self, runtime_configuration: Optional[dict] = None) -> dict:
    from great_expectations.expectations.expectation import parse_result_format

    runtime_configuration = runtime_configuration or {}
    kwargs = self.configuration.kwargs
    success = _success_kwargs(self, kwargs)
    runtime = {key: runtime_configuration.get(key, _success_kwarg(self, kwargs, key)) for key in self.runtime_keys}
    runtime.update(success)
    runtime["result_format"] = parse_result_format(runtime["result_format"])
    return runtime


# sha1 of the source of each module-level function the replacements below stand in for, or rely on, in GX 1.24.1.
MODULE_REPLACED = {
    "great_expectations.core.id_dict.IDDict.to_id": "748eadd5233f32cd69199e7bd78aef3841431643",
    "great_expectations.util.convert_to_json_serializable": "282ec5d6107beaaceba6dae8308deb9ca79760de",
    "great_expectations.util.camel_to_snake": "733d5e590b338de9396e0b1448344dc5a87d3db4",
    "pydantic.v1.main.BaseModel._get_value": "086a7db00bdbf7d185b8224a7b7942d38a94d46d",  # pydantic 2.14.4
}
_PLAIN = (str, int, bool, type(None))
_PLAIN_ITEMS = (str, int, float, bool, type(None))
_PYDANTIC_GET_VALUE: list = []


def _get_value(cls, v, to_dict, by_alias, include, exclude, exclude_unset, exclude_defaults, exclude_none):
    """pydantic v1's `BaseModel._get_value`, with a copy for a plain list, tuple or set (see above)."""
    kind = type(v)
    if (kind is list or kind is tuple or kind is set or kind is frozenset) and not include and not exclude and all(type(x) in _PLAIN_ITEMS for x in v):
        return kind(v)
    return _PYDANTIC_GET_VALUE[0](cls, v, to_dict, by_alias, include, exclude, exclude_unset, exclude_defaults, exclude_none)


def _json_ids(data):
    """GX's `convert_to_json_serializable`, sooner for plain JSON values: the same result (GX returns a str, int,
    bool or None as it is, a NaN as None, a dict with its keys as strings, a list or tuple as a list), anything
    else (numpy values, dates, enums, subclasses of dict) converted by GX itself."""
    kind = type(data)
    if kind in _PLAIN:
        return data
    if kind is float:
        return None if data != data else data
    if kind is dict:
        return {str(key): _json_ids(value) for key, value in data.items()}
    if kind is list or kind is tuple:
        return [_json_ids(value) for value in data]
    return _GX_JSON[0](data)


_GX_JSON: list = []


def _module_functions():
    """The installed GX's functions the module-level replacements concern, by MODULE_REPLACED's names."""
    from great_expectations import util
    from great_expectations.core.id_dict import IDDict
    from pydantic.v1.main import BaseModel

    return {
        "great_expectations.core.id_dict.IDDict.to_id": IDDict.to_id,
        "great_expectations.util.convert_to_json_serializable": util.convert_to_json_serializable,
        "great_expectations.util.camel_to_snake": util.camel_to_snake,
        "pydantic.v1.main.BaseModel._get_value": (ORIGINAL.get("_get_value") or BaseModel.__dict__["_get_value"].__func__),
    }


def _install_module_functions() -> bool:
    from great_expectations.core import id_dict
    from great_expectations.expectations import expectation
    from pydantic.v1.main import BaseModel

    if id_dict.convert_to_json_serializable is _json_ids:
        return True
    functions = _module_functions()
    if any(source_hash(fn) != MODULE_REPLACED[name] for name, fn in functions.items()):
        return False
    _GX_JSON.append(functions["great_expectations.util.convert_to_json_serializable"])
    _PYDANTIC_GET_VALUE.append(functions["pydantic.v1.main.BaseModel._get_value"])
    ORIGINAL["convert_to_json_serializable"] = id_dict.convert_to_json_serializable
    ORIGINAL["camel_to_snake"] = expectation.camel_to_snake
    ORIGINAL["_get_value"] = _PYDANTIC_GET_VALUE[0]
    id_dict.convert_to_json_serializable = _json_ids  # what IDDict.to_id calls
    expectation.camel_to_snake = lru_cache(maxsize=None)(functions["great_expectations.util.camel_to_snake"])
    BaseModel._get_value = classmethod(_get_value)
    return True


FASTER = {
    "_get_success_kwarg": _get_success_kwarg,
    "_get_domain_kwargs": _get_domain_kwargs,
    "_get_success_kwargs": _get_success_kwargs,
    "_get_runtime_kwargs": _get_runtime_kwargs,
}
ORIGINAL: dict = {}


def install() -> bool:
    """Put the replacements on GX's `Expectation` when its methods are the ones they were written against; True
    when they are in place."""
    from great_expectations.expectations.expectation import Expectation

    modules = _install_module_functions()
    if all(Expectation.__dict__.get(name) is fn for name, fn in FASTER.items()):
        return modules
    if any(source_hash(Expectation.__dict__[name]) != REPLACED[name] for name in FASTER):
        return False
    for name, fn in FASTER.items():
        ORIGINAL[name] = Expectation.__dict__[name]
        setattr(Expectation, name, fn)
    return modules


# jinja's bytecode cache for GX's Data Docs templates (None: not installed yet).
TEMPLATE_CACHE: list = []


def install_template_cache(directory: str | None = None) -> bool:
    """Keep GX's compiled Data Docs templates between runs. GX renders the Data Docs with jinja templates, and every
    view it makes has an environment of its own, so each run compiled the same 51 templates anew: 0.2 s of the 0.5 s
    a one-article run spends on its Data Docs. jinja's own `FileSystemBytecodeCache` keeps them, by default in its
    per-user folder under the system's temporary directory (created private, checked to be the user's), keyed by
    the template's source checksum and Python's bytecode version, so a changed template or Python compiles anew.
    True when GX's views get the cache."""
    from great_expectations.render.view import view
    from jinja2 import Environment, FileSystemBytecodeCache

    init = view.DefaultJinjaView.__init__
    if getattr(init, "newsflow_template_cache", False):
        return True
    try:
        cache = FileSystemBytecodeCache(directory) if directory else FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no usable temporary folder: templates are compiled as before
        return False
    TEMPLATE_CACHE[:] = [cache]

    def cached_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        env = getattr(self, "env", None)
        if isinstance(env, Environment) and env.bytecode_cache is None:
            env.bytecode_cache = TEMPLATE_CACHE[0]

    cached_init.newsflow_template_cache = True
    cached_init.__wrapped__ = init
    view.DefaultJinjaView.__init__ = cached_init
    return True
