"""The evidence registry (pure core): curated published results with provenance."""

__all__: list[str] = []
