"""autoserum: clinical studies of autologous blood, serum and IgG therapy in atopic dermatitis.

The package is a pure core (``instruments``, ``protocols``, ``study``, ``stats``, ``analysis``,
``meta``, ``design``, ``evidence``, ``simulate``) with adapters at the edge (``store``, ``web``,
``report``, ``cli``). See ``docs/architecture.md``.
"""

from autoserum.errors import (
    AutoserumError,
    AutoserumWarning,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    StateError,
    StatisticalWarning,
    StatisticsError,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
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
