"""The public surface of the package and the CLI shell."""

from __future__ import annotations

import subprocess
import sys

import autoserum
from autoserum.errors import AutoserumError, ValidationError


def test_public_api_is_pinned() -> None:
    assert sorted(autoserum.__all__) == [
        "AutoserumError",
        "AutoserumWarning",
        "ConfigurationError",
        "ConflictError",
        "NotFoundError",
        "PermissionDeniedError",
        "StateError",
        "StatisticalWarning",
        "StatisticsError",
        "ValidationError",
        "__version__",
    ]


def test_validation_error_names_field_value_and_expected() -> None:
    err = ValidationError("q1", "not_relevant", "one of very_much, a_lot, a_little, not_at_all")
    assert isinstance(err, AutoserumError)
    assert err.exit_code == 2
    assert str(err) == (
        "q1: got 'not_relevant'; expected one of very_much, a_lot, a_little, not_at_all"
    )


def test_cli_version_runs_as_module() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "autoserum", "version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == autoserum.__version__
