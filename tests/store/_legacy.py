"""Databases as earlier versions of Roundtable Studio left them, filled with one of
everything, to upgrade in tests. Frozen: copied from the code of that time, never derived
from today's tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from studio.store._db import create_db_engine, writer

SECRET = "sk-legacy-0123456789abcdefWXYZ"
DRAFT = {"format": 1, "name": "Half-built team", "agents": [{"name": "solo"}]}


def v1_schema(conn: sa.Connection) -> None:
    """What ``_migrations.py`` migration 1 created, with its ``schema_version`` table."""
    md = sa.MetaData()
    sa.Table("schema_version", md, sa.Column("version", sa.Integer, primary_key=True),
             sa.Column("name", sa.String, nullable=False),
             sa.Column("applied_at", sa.Float, nullable=False))
    sa.Table("template", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String, nullable=False, unique=True, index=True),
             sa.Column("description", sa.String, nullable=False),
             sa.Column("tags", sa.JSON(), nullable=False),
             sa.Column("latest_version", sa.Integer, nullable=False),
             sa.Column("created_at", sa.Float, nullable=False),
             sa.Column("updated_at", sa.Float, nullable=False),
             sa.Column("deleted_at", sa.Float, nullable=True))
    sa.Table("template_version", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("template_id", sa.Integer, sa.ForeignKey("template.id", ondelete="CASCADE"),
                       nullable=False),
             sa.Column("version", sa.Integer, nullable=False),
             sa.Column("document", sa.JSON(), nullable=False),
             sa.Column("description", sa.String, nullable=False),
             sa.Column("tags", sa.JSON(), nullable=False),
             sa.Column("note", sa.String, nullable=False),
             sa.Column("created_at", sa.Float, nullable=False),
             sa.UniqueConstraint("template_id", "version"))
    sa.Table("run", md, sa.Column("id", sa.String, primary_key=True),
             sa.Column("template_name", sa.String, nullable=False, index=True),
             sa.Column("template_snapshot", sa.JSON(), nullable=False),
             sa.Column("task", sa.Text, nullable=False),
             sa.Column("model_label", sa.String, nullable=False),
             sa.Column("status", sa.String, nullable=False, index=True),
             sa.Column("reason", sa.String, nullable=False),
             sa.Column("summary", sa.Text, nullable=False),
             sa.Column("started_at", sa.Float, nullable=False, index=True),
             sa.Column("finished_at", sa.Float, nullable=True),
             sa.Column("total_tokens", sa.Integer, nullable=False),
             sa.Column("cost", sa.Float, nullable=False),
             sa.Column("usage", sa.JSON(), nullable=False),
             sa.Column("work_dir", sa.String, nullable=True),
             sa.Column("owner", sa.String, nullable=False))
    sa.Table("run_event", md,
             sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                       primary_key=True, autoincrement=True),
             sa.Column("run_id", sa.Text, sa.ForeignKey("run.id", ondelete="CASCADE"),
                       nullable=False),
             sa.Column("seq", sa.Integer, nullable=False),
             sa.Column("kind", sa.String, nullable=False),
             sa.Column("chat_id", sa.String, nullable=False),
             sa.Column("depth", sa.Integer, nullable=False),
             sa.Column("sender", sa.String, nullable=False),
             sa.Column("recipient", sa.String, nullable=False),
             sa.Column("role", sa.String, nullable=True),
             sa.Column("content", sa.Text, nullable=True),
             sa.Column("data", sa.JSON(), nullable=False),
             sa.Column("created_at", sa.Float, nullable=False),
             sa.UniqueConstraint("run_id", "seq"))
    sa.Table("model_config", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String, nullable=False, unique=True, index=True),
             sa.Column("provider", sa.String, nullable=False),
             sa.Column("model", sa.String, nullable=False),
             sa.Column("base_url", sa.String, nullable=True),
             sa.Column("api_type", sa.String, nullable=False),
             sa.Column("api_version", sa.String, nullable=True),
             sa.Column("api_key_env", sa.String, nullable=True),
             sa.Column("api_key_secret", sa.String, nullable=True),
             sa.Column("price_input", sa.Float, nullable=True),
             sa.Column("price_output", sa.Float, nullable=True),
             sa.Column("extra", sa.JSON(), nullable=False),
             sa.Column("created_at", sa.Float, nullable=False),
             sa.Column("updated_at", sa.Float, nullable=False))
    sa.Table("secret", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String, nullable=False, unique=True, index=True),
             sa.Column("value", sa.Text, nullable=False),
             sa.Column("created_at", sa.Float, nullable=False),
             sa.Column("updated_at", sa.Float, nullable=False))
    sa.Table("custom_tool", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String, nullable=False, unique=True, index=True),
             sa.Column("source", sa.Text, nullable=False),
             sa.Column("description", sa.Text, nullable=False),
             sa.Column("created_at", sa.Float, nullable=False),
             sa.Column("updated_at", sa.Float, nullable=False))
    sa.Table("setting", md, sa.Column("key", sa.String, primary_key=True),
             sa.Column("value", sa.JSON(), nullable=True),
             sa.Column("updated_at", sa.Float, nullable=False))
    md.create_all(conn)
    conn.execute(sa.text("INSERT INTO schema_version VALUES (1, 'initial schema', 1.0)"))


def fill_v1(conn: sa.Connection) -> None:
    """One of everything, as the v1 code wrote it (JSON columns as JSON text)."""
    def run(sql: str, **params: object) -> None:
        conn.execute(sa.text(sql), {k: json.dumps(v) if isinstance(v, dict | list) else v
                                    for k, v in params.items()})

    run("INSERT INTO template VALUES (1, 'Essay', 'two', :tags, 2, 1.0, 2.0, NULL)",
        tags=["writing"])
    for version, agents in ((1, ["a"]), (2, ["a", "b"])):
        run("INSERT INTO template_version (template_id, version, document, description, tags, "
            "note, created_at) VALUES (1, :v, :doc, 'two', :tags, '', :t)",
            v=version, doc={"agents": agents}, tags=["writing"], t=float(version))
    run("INSERT INTO run VALUES ('r1', 'Essay', :snap, 'Write', 'Demo', 'finished', 'done', "
        "'ok', 10.0, 11.0, 42, 0.5, :usage, '/tmp/r1', 'host|boot|1')",
        snap={"agents": ["a", "b"]}, usage={"total_tokens": 42})
    for seq in (1, 2, 3):
        run("INSERT INTO run_event (run_id, seq, kind, chat_id, depth, sender, recipient, role, "
            "content, data, created_at) VALUES ('r1', :s, 'message', '', 0, 'a', 'b', "
            "'assistant', :c, :d, 10.5)", s=seq, c=f"message {seq}", d={"n": seq})
    run("INSERT INTO model_config VALUES (1, 'ollama', 'ollama', 'llama3', "
        "'http://localhost:11434/v1', 'openai', NULL, NULL, 'ollama-api-key', 1.0, 2.0, :x, "
        "1.0, 1.0)", x={"timeout": 5})
    run("INSERT INTO secret VALUES (1, 'ollama-api-key', :v, 1.0, 1.0)", v=SECRET)
    run("INSERT INTO custom_tool VALUES (1, 'shout', :src, 'shouts', 1.0, 1.0)",
        src='def shout(text: str) -> str:\n    """Shout.\n\n    Args:\n        text: what\n    """\n    return text.upper()\n')
    run("INSERT INTO setting VALUES ('allow_unsandboxed_code', 'true', 1.0)")
    run("INSERT INTO setting VALUES ('builder_draft', :v, 1.0)",
        v={"doc": DRAFT, "saved_as": None})


def make_v1(url: str) -> None:
    """A database exactly as the first release left it."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(url)
    try:
        with writer(engine).begin() as conn:
            v1_schema(conn)
            fill_v1(conn)
    finally:
        engine.dispose()


def make_v2(url: str) -> None:
    """A database as `schema_version` 2 (run leases) left it, with the v1 rows and a lease."""
    make_v1(url)
    engine = create_db_engine(url)
    try:
        with writer(engine).begin() as conn:
            sa.Table("lease", sa.MetaData(), sa.Column("id", sa.String, primary_key=True),
                     sa.Column("kind", sa.String, nullable=False),
                     sa.Column("host", sa.String, nullable=False),
                     sa.Column("pid", sa.Integer, nullable=False),
                     sa.Column("started_at", sa.Float, nullable=False),
                     sa.Column("expires_at", sa.Float, nullable=False, index=True)).create(conn)
            conn.execute(sa.text("ALTER TABLE run ADD COLUMN holder VARCHAR"))
            conn.execute(sa.text("ALTER TABLE run ADD COLUMN mode VARCHAR NOT NULL "
                                 "DEFAULT 'local'"))
            conn.execute(sa.text("ALTER TABLE run ADD COLUMN options JSON NOT NULL "
                                 "DEFAULT '{}'"))
            conn.execute(sa.text("CREATE INDEX ix_run_holder ON run (holder)"))
            conn.execute(sa.text("INSERT INTO schema_version VALUES (2, 'run leases', 2.0)"))
    finally:
        engine.dispose()
