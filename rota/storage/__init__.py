"""SQLAlchemy storage: the only part of the domain package that knows about a database."""
