"""The numpydoc examples of every riskmodel module run and stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import riskmodel

MODULES = ["riskmodel", *sorted(f"riskmodel.{m.name}"
                                for m in pkgutil.iter_modules(riskmodel.__path__))]


@pytest.mark.parametrize("name", MODULES)
def test_doctests_pass(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
