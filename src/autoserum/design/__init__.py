"""Trial design (pure core): sample size and power, analytic and by simulation."""

__all__: list[str] = []
