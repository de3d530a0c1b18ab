"""The versions behind a run's numbers, recorded in every result and report: spmsim's
(from the package metadata, the one place it is written) and numpy's, whose random
distributions may change between releases, so "same seed, same numbers" holds for the
same pair of versions."""

from __future__ import annotations

import numpy as np

from spmsim import __version__


def versions() -> dict[str, str]:
    """`{"spmsim_version": ..., "numpy_version": ...}`, the keys results files use."""
    return {"spmsim_version": __version__, "numpy_version": np.__version__}


def versions_text() -> str:
    """The versions in readers' words: 'spmsim 0.1.0, numpy 2.1.3'."""
    v = versions()
    return f"spmsim {v['spmsim_version']}, numpy {v['numpy_version']}"
