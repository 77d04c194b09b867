"""Each package's public face is what its ``__all__`` says, and all of it exists."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["contracts", "hub", "agencies", "projections"])
def test_every_exported_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__ == sorted(module.__all__, key=lambda n: (not n.isupper(), n))
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name}"


def test_hub_errors_form_one_tree() -> None:
    import hub

    assert issubclass(hub.StoreConflict, hub.StoreUnavailable)
    for error in (hub.ConfigurationError, hub.StoreUnavailable):
        assert issubclass(error, hub.HubError)


def test_nothing_is_wired_at_import() -> None:
    import hub.bootstrap
    import hub.entrypoints.consumer

    assert not any(
        type(value).__name__ in ("NatsBroker", "FastStream", "HubApplication")
        for module in (hub.bootstrap, hub.entrypoints.consumer)
        for value in vars(module).values()
    )


@pytest.mark.parametrize("package", ["projections", "hub", "contracts", "agencies"])
def test_each_package_imports_on_its_own(package: str) -> None:
    # A fresh interpreter: an import cycle shows only when a package is imported first.
    result = subprocess.run([sys.executable, "-c", f"import {package}"], capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
