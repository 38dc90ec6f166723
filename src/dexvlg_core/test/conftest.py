"""Shared simulation fixtures: a private convex-decomposition cache and the reference cube, built once."""

import pytest

from dexvlg_core.sim import examples
from dexvlg_core.sim.objects import DecompositionConfig, load_object


@pytest.fixture(scope="session")
def decomposition(tmp_path_factory):
    return DecompositionConfig(cache_dir=str(tmp_path_factory.mktemp("convex")))


@pytest.fixture(scope="session")
def cube(decomposition):
    return load_object(examples.cube(), name="cube", config=decomposition)
