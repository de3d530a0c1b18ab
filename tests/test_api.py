"""The public API: every name in `spmsim.__all__` resolves, is documented, and loads
lazily (`import spmsim` imports no numerical library)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import spmsim


@pytest.mark.parametrize("name", [n for n in spmsim.__all__ if n != "__version__"])
def test_every_export_resolves_and_has_a_docstring(name):
    obj = getattr(spmsim, name)
    assert (obj.__doc__ or "").strip(), f"spmsim.{name} has no docstring"


def test_version_is_the_package_metadata():
    from importlib.metadata import version

    assert spmsim.__version__ == version("spmsim")


def test_import_spmsim_is_light():
    code = "import sys, spmsim; print(sorted(m for m in ('numpy', 'pandas', 'pydantic') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_readme_example_runs(tmp_path):
    scenario = spmsim.load_scenario("scenarios/acme_baseline.yaml", trials=64)
    results = spmsim.simulate(scenario, progress=False)
    assert isinstance(results, spmsim.Results)
    assert results.summary().loc["revenue (mean)", "all"] > 0


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        spmsim.nope  # noqa: B018
