"""Shared fixtures: the repository's model files, PyNN's source distribution (for its system
test scenarios and examples), and whether a GPU adapter can be opened."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tarfile

import pytest

# Mesa warns on every device open without a runtime directory.
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

PYTHON_DIR = pathlib.Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
PYNN_VERSION = "0.13.0"


@pytest.fixture(scope="session")
def models_dir() -> pathlib.Path:
    """examples/models of the repository."""
    return REPO / "examples" / "models"


def pynn_source_dir() -> pathlib.Path:
    """PyNN's unpacked source distribution: $PYNN_SOURCE_DIR, or downloaded once into
    python/build/ with pip (`pip download --no-deps --no-binary :all: pyNN==0.13.0`)."""
    given = os.environ.get("PYNN_SOURCE_DIR")
    if given:
        return pathlib.Path(given)
    target = PYTHON_DIR / "build" / f"pynn-{PYNN_VERSION}"
    if not (target / "test" / "system" / "scenarios").is_dir():
        download = PYTHON_DIR / "build" / "sdist"
        download.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             f"pyNN=={PYNN_VERSION}", "-d", str(download)],
            check=True,
        )
        archive = next(download.glob("[pP]y[nN][nN]-*.tar.gz"))
        with tarfile.open(archive) as tar:
            try:
                tar.extractall(PYTHON_DIR / "build", filter="data")
            except TypeError:  # Python without extraction filters (before 3.11.4)
                tar.extractall(PYTHON_DIR / "build")
    return target


@pytest.fixture(scope="session")
def pynn_source() -> pathlib.Path:
    return pynn_source_dir()


@pytest.fixture(scope="session")
def gpu_available() -> bool:
    """Whether a GPU adapter opens (lavapipe counts); with SPIKEGPU_REQUIRE_GPU=1 a missing
    one fails the GPU tests instead of skipping them."""
    import spikegpu

    net = spikegpu.Network(dt=0.1, seed=1)
    net.population("a", 1, "lif")
    try:
        spikegpu.Simulator(net.build(), backend="gpu")
        return True
    except spikegpu.NoAdapterError:
        if os.environ.get("SPIKEGPU_REQUIRE_GPU") == "1":
            raise
        return False
