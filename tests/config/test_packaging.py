"""`pip install -e .` (make demo) installs without setuptools' editable-install warning."""

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_editable_install_uses_a_plain_path_entry_not_the_warning_import_hook():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    # setuptools picks the .pth strategy (no "folders with the same name" warning) only when
    # package-dir is exactly {"": <dir>} and every package sits where that dir says.
    assert config["package-dir"] == {"": "."}
    editable_wheel = pytest.importorskip("setuptools.command.editable_wheel")
    from setuptools import find_packages

    packages = find_packages(where=str(ROOT), include=config["packages"]["find"]["include"])
    assert {"config", "integrations", "mappings", "sync"} <= set(packages)
    assert "tests" not in packages and "bench" not in packages
    assert editable_wheel._simple_layout(packages, config["package-dir"], ROOT)
