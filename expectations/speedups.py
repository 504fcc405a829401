"""A fix for a cost Great Expectations pays per expectation, per validation.

`Expectation._get_domain_kwargs` and its three siblings below look up each key in `self.configuration.kwargs`, and
`configuration` is a property that dumps the whole expectation (pydantic) into a new `ExpectationConfiguration`
on every access: validating one small shard's six tables rebuilt it 14,000 times, a third of the validation time.
The replacements build it once per call and return the same values (tests/test_expectations.py compares them on
every expectation of every suite). They replace only the exact code they were written against, checked by hash:
a GX release that changes these methods keeps its own code, and the test that the fix is in place fails so
someone looks again.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
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

    if all(Expectation.__dict__.get(name) is fn for name, fn in FASTER.items()):
        return True
    if any(source_hash(Expectation.__dict__[name]) != REPLACED[name] for name in FASTER):
        return False
    for name, fn in FASTER.items():
        ORIGINAL[name] = Expectation.__dict__[name]
        setattr(Expectation, name, fn)
    return True
