"""The relational schema, as SQLAlchemy Core tables (the Alembic migrations create them).

Catalog records keep their list-valued fields (aliases, steps, …) as JSON columns:
they are read and written whole with their item and never queried on their own.
Materials, situations, FAQs and bundle members get rows of their own because staff
edit and count them one by one.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

CODE = String(200)

items = Table(
    "items",
    metadata,
    Column("code", CODE, primary_key=True),
    Column("name", Text, nullable=False),
    Column("department", Text, nullable=False, default=""),
    Column("category", Text, nullable=False, default=""),
    Column("aliases", JSON, nullable=False, default=list),
    Column("level", JSON, nullable=False, default=list),
    Column("summary", Text, nullable=False, default=""),
    Column("conditions", Text, nullable=False, default=""),
    Column("steps", JSON, nullable=False, default=list),
    Column("legal_days", Integer),
    Column("promised_days", Integer),
    Column("fee", Text, nullable=False, default=""),
    Column("online", Boolean),
    Column("max_visits", Integer),
    Column("where", Text, nullable=False, default=""),
    Column("phone", Text, nullable=False, default=""),
    Column("legal_basis", JSON, nullable=False, default=list),
    Column("name_bo", Text),
    Column("group", Text),
    Column("area_code", Text),
)

situations = Table(
    "situations",
    metadata,
    Column("item_code", CODE, ForeignKey("items.code", ondelete="CASCADE"), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("ask", Text, nullable=False),
)

situation_options = Table(
    "situation_options",
    metadata,
    Column("item_code", CODE, primary_key=True),
    Column("situation_key", String(100), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("label", Text, nullable=False),
    ForeignKeyConstraint(
        ["item_code", "situation_key"],
        ["situations.item_code", "situations.key"],
        ondelete="CASCADE",
        name="fk_situation_options_situations",
    ),
)

materials = Table(
    "materials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_code", CODE, ForeignKey("items.code", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("form", String(20), nullable=False),
    Column("copies", Integer, nullable=False),
    Column("required", Boolean, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("when", JSON, nullable=False, default=dict),  # {situation key: option key}
)

faqs = Table(
    "faqs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_code", CODE, ForeignKey("items.code", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False, default=""),
)

bundles = Table(
    "bundles",
    metadata,
    Column("code", CODE, primary_key=True),
    Column("name", Text, nullable=False),
    Column("aliases", JSON, nullable=False, default=list),
    Column("summary", Text, nullable=False, default=""),
    Column("name_bo", Text),
)

bundle_items = Table(
    "bundle_items",
    metadata,
    Column("bundle_code", CODE, ForeignKey("bundles.code", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    # No cascade: an item that a bundle names cannot silently vanish from the bundle.
    Column("item_code", CODE, ForeignKey("items.code"), nullable=False, index=True),
)

halls = Table(
    "halls",
    metadata,
    Column("code", CODE, primary_key=True),
    Column("name", Text, nullable=False),
    Column("county", Text, nullable=False, default=""),
    Column("level", Text, nullable=False, default=""),
    Column("address", Text, nullable=False, default=""),
    Column("lat", Float),
    Column("lon", Float),
    Column("phone", Text, nullable=False, default=""),
    Column("hours", Text, nullable=False, default=""),
    Column("bilingual", Boolean, nullable=False, default=False),
)

synonyms = Table(
    "synonyms",
    metadata,
    Column("term", String(200), primary_key=True),
    Column("variants", JSON, nullable=False, default=list),
)

catalog_revision = Table(
    "catalog_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
