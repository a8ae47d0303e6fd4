"""The study domain model (pure core): subjects, statuses, visits, assessments, randomisation,
blinding and CONSORT flow.
"""

__all__: list[str] = []
