"""Trial analysis (pure core): analysis datasets (ADSL/BDS-like) and endpoint analyses over tidy
DataFrames.
"""

__all__: list[str] = []
