"""Patient records: SQLAlchemy models, the database (sessions, migrations) and the image store. Qt-free."""
