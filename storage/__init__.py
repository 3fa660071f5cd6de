"""SQLAlchemy models, Alembic migrations, repositories, the artifact store and job state."""
