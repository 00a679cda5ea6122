"""Alembic revisions of the store's schema (``versions/``), applied by ``studio.store._migrations``.

To change the schema: copy the newest file in ``versions/`` to ``NNNN_what.py``, set
``revision`` to ``"NNNN"`` and ``down_revision`` to the previous one, write ``upgrade()``
with ``op`` (inside ``op.batch_alter_table(...)`` for anything SQLite cannot ALTER in
place), update ``_tables.py`` to match, and add rows of the old schema to
``tests/store/test_migrations.py``, and set :data:`HEAD` below to the new revision (a test
checks it). Never edit a revision that has shipped.
"""

HEAD = "0007"
"""The newest revision: a database already there is opened without loading Alembic."""
