"""The numpydoc Examples of the public classes run as written."""

import doctest

import pytest

import gioselect.sampler
import gioselect.selector


@pytest.mark.parametrize("module", [gioselect.selector, gioselect.sampler])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("cls", [gioselect.GIOSelector, gioselect.GIOSampler])
def test_docstring_documents_every_parameter(cls):
    for name in cls().get_params():
        assert f"    {name} :" in cls.__doc__ or f", {name}" in cls.__doc__ or f"{name}, " in cls.__doc__, name
