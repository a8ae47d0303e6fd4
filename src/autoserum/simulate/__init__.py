"""Synthetic studies (pure core): a generative model of AD severity and scenarios from the
published trials.
"""

__all__: list[str] = []
