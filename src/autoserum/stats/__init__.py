"""Statistical methods (pure core): descriptive statistics, paired and two-sample tests, ANCOVA,
MMRM, responder statistics, multiplicity.
"""

__all__: list[str] = []
