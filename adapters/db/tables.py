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
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
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

# -- WeChat channel (adapters/wechat) ----------------------------------------------------

# One row per WeChat delivery key (MsgId, or FromUserName+CreateTime+Event for events).
# The primary key makes the first instance to insert the owner of the message; retries and
# concurrent copies read `body` (the passive reply sent) instead of running the bot again.
wechat_deliveries = Table(
    "wechat_deliveries",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("body", Text),  # NULL while the owner is still working
    Column("created_at", Float, nullable=False, index=True),  # unix seconds, for pruning
)

# The shared access token: one row per appid. `lease_until` elects a single refresher
# among instances so that a refresh never stampedes WeChat's stable_token endpoint.
wechat_tokens = Table(
    "wechat_tokens",
    metadata,
    Column("appid", String(64), primary_key=True),
    Column("token", Text, nullable=False, default=""),
    Column("expires_at", Float, nullable=False, default=0.0),
    Column("lease_owner", String(64), nullable=False, default=""),
    Column("lease_until", Float, nullable=False, default=0.0),
)

# -- cases (办件) and reviews (好差评): adapters/db/case_store.py, review_store.py ---------
# Times are unix seconds (Float) like the WeChat tables; case events keep their source's
# ISO time with offset inside the JSON timeline, which is read and written whole.
# Phone, ID and query code are never stored: only keyed digests (bot.proofs.Proofs).

cases = Table(
    "cases",
    metadata,
    Column("number", String(100), primary_key=True),
    Column("item_code", CODE, nullable=False, default=""),
    Column("applicant_name", Text, nullable=False, default=""),
    Column("hall_code", CODE, nullable=False, default=""),
    Column("events", JSON, nullable=False, default=list),  # [{status, at, note}] in time order
    Column("status", String(20), nullable=False, default=""),
    Column("promised_date", Date),
    Column("phone_digest", String(64), nullable=False, default=""),
    Column("id_digest", String(64), nullable=False, default=""),
    Column("query_digest", String(64), nullable=False, default=""),
    Column("completed_at", Float, index=True),  # first 办结, for the 主动评价率
    Column("updated_at", Float, nullable=False),
)

case_bindings = Table(
    "case_bindings",
    metadata,
    Column("user_key", String(200), primary_key=True),
    Column("number", String(100), primary_key=True, index=True),
    Column("bound_at", Float, nullable=False),
)

case_attempts = Table(
    "case_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(200), nullable=False, index=True),
    Column("number", String(100), nullable=False, index=True),
    Column("ok", Boolean, nullable=False),
    Column("at", Float, nullable=False),
)

user_activity = Table(
    "user_activity",
    metadata,
    Column("user_key", String(200), primary_key=True),
    Column("last_at", Float, nullable=False),
)

push_deliveries = Table(
    "push_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(200), nullable=False, index=True),
    Column("topic", String(300), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Integer),
    Column("at", Float, nullable=False),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target_kind", String(20), nullable=False),
    Column("target_id", String(200), nullable=False),
    Column("rater", String(200), nullable=False),
    Column("level", Integer, nullable=False),
    Column("revised_level", Integer),
    Column("comment", Text, nullable=False, default=""),
    Column("channel", String(20), nullable=False),
    Column("item_code", CODE, nullable=False, default=""),
    Column("department", Text, nullable=False, default=""),
    Column("hall_code", CODE, nullable=False, default=""),
    Column("at", Float, nullable=False, index=True),
    UniqueConstraint("target_kind", "target_id", "rater", name="uq_reviews_target"),  # 一事一评
)

review_invitations = Table(
    "review_invitations",
    metadata,
    Column("target_kind", String(20), primary_key=True),
    Column("target_id", String(200), primary_key=True),
    Column("rater", String(200), primary_key=True),
    Column("item_code", CODE, nullable=False, default=""),
    Column("hall_code", CODE, nullable=False, default=""),
    Column("invited_at", Float, nullable=False),
    Column("reminded_at", Float),
)

rectifications = Table(
    "rectifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("review_id", Integer, ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("department", Text, nullable=False, default=""),
    Column("item_code", CODE, nullable=False, default=""),
    Column("hall_code", CODE, nullable=False, default=""),
    Column("deadline", Date, nullable=False),
    Column("opened_at", Float, nullable=False),
    Column("rectified_at", Float),
    Column("notes", JSON, nullable=False, default=list),  # [{status, at, text, by}]
)


# -- dialogue (issue 5): conversation state, per-user locks, transcripts, staff queues -----

dialogue_state = Table(
    "dialogue_state",
    metadata,
    Column("key", String(300), primary_key=True),  # StateKey.text
    Column("state", Text, nullable=False),  # Conversation as JSON
    Column("updated_at", Float, nullable=False),
)

dialogue_locks = Table(
    "dialogue_locks",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
)

transcripts = Table(
    "transcripts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(300), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("intent", String(100), nullable=False),
    Column("text", Text, nullable=False),  # masked
    Column("replies", JSON, nullable=False),  # masked
)

unanswered_questions = Table(
    "unanswered_questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(300), nullable=False),
    Column("at", Float, nullable=False),
    Column("text", Text, nullable=False),  # masked
    Column("handled", Boolean, nullable=False, default=False),
    # the item or bundle the citizen then picked from search's options; NULL: nothing fitted
    Column("chosen", CODE, nullable=True),
)

review_wishes = Table(
    "review_wishes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(300), nullable=False),
    Column("at", Float, nullable=False),
    Column("text", Text, nullable=False),  # masked
)
