"""Keep every message, attachment, report version and failure; the only package that imports SQLAlchemy."""
