"""The durable audited store (adapter): SQLAlchemy models, Alembic migrations, audit trail,
import and export.
"""

__all__: list[str] = []
