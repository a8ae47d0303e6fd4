"""Evidence synthesis (pure core): effect sizes from reported results and fixed/random-effects
meta-analysis.
"""

__all__: list[str] = []
