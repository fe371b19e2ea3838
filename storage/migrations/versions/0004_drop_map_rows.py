"""drop the map's row copy (personas, stages, lane_items, emotion_ratings)

Every version of a map is kept whole as JSON (map_versions), and that is what every reader
uses. The copy of the current version one row per persona, stage, lane item and rating was
written on every save and read by nothing; it is dropped. A downgrade makes the tables again
and fills them from each map's current version, as the old code wrote them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("personas", "stages", "lane_items", "emotion_ratings")


def upgrade() -> None:
    for table in TABLES:
        if table != "stages":
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.drop_index(batch_op.f(f"ix_{table}_map_id"))
        op.drop_table(table)


def _author_columns() -> list[sa.Column]:
    return [
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _common() -> list[Any]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("map_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["map_id"], ["maps.id"]),
        sa.PrimaryKeyConstraint("id"),
    ]


def downgrade() -> None:
    personas = op.create_table(
        "personas",
        *_common(),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        *_author_columns(),
    )
    stages = op.create_table(
        "stages",
        *_common(),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
    )
    lane_items = op.create_table(
        "lane_items",
        *_common(),
        sa.Column("stage_position", sa.Integer(), nullable=True),
        sa.Column("lane", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *_author_columns(),
    )
    ratings = op.create_table(
        "emotion_ratings",
        *_common(),
        sa.Column("stage_position", sa.Integer(), nullable=False),
        sa.Column("persona", sa.String(length=300), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=300), nullable=False),
        *_author_columns(),
    )
    for table in TABLES:
        if table != "stages":
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.create_index(batch_op.f(f"ix_{table}_map_id"), ["map_id"], unique=False)
    _refill(personas, stages, lane_items, ratings)


def _by(entry: dict) -> dict:
    """Who wrote an entry, and when."""
    author = entry.get("author") or {}
    at = entry.get("at")
    return {
        "author_id": author.get("id", ""),
        "author_name": author.get("name", ""),
        "created_at": datetime.fromisoformat(at) if at else None,
    }


def _refill(personas: Any, stages: Any, lane_items: Any, ratings: Any) -> None:
    """Each map's current version written out row by row, read from its JSON alone."""
    bind = op.get_bind()
    current = bind.execute(
        sa.text(
            "SELECT m.id, v.data FROM maps m JOIN map_versions v"
            " ON v.map_id = m.id AND v.version = m.version"
        )
    )
    rows: dict[Any, list[dict]] = {personas: [], stages: [], lane_items: [], ratings: []}
    for map_id, data in current:
        journey_map = json.loads(data)
        for i, p in enumerate(journey_map.get("personas") or []):
            row = {"map_id": map_id, "position": i, "name": p["name"]}
            rows[personas].append(row | {"description": p.get("description", "")} | _by(p))
        for s_index, stage in enumerate(journey_map.get("stages") or []):
            rows[stages].append({"map_id": map_id, "position": s_index, "name": stage["name"]})
            for lane, value in stage.items():
                if lane == "emotions":
                    for r in value or []:
                        rating = {"map_id": map_id, "stage_position": s_index}
                        rating |= {"persona": r["persona"], "score": r["score"]}
                        rows[ratings].append(rating | {"word": r.get("word", "")} | _by(r))
                    continue
                if isinstance(value, dict) and "text" in value:  # a one-answer lane
                    value = [value]
                if not isinstance(value, list):
                    continue
                for k, item in enumerate(value):
                    if isinstance(item, dict) and "text" in item:
                        line = {"map_id": map_id, "stage_position": s_index, "lane": lane}
                        line |= {"position": k, "text": item["text"]}
                        rows[lane_items].append(line | _by(item))
        needs = journey_map.get("needs") or {}
        for key in ("have", "need"):
            for k, item in enumerate(needs.get(key) or []):
                line = {"map_id": map_id, "stage_position": None, "lane": f"needs_{key}"}
                line |= {"position": k, "text": item["text"]}
                rows[lane_items].append(line | _by(item))
    for table, values in rows.items():
        if values:
            op.bulk_insert(table, values)
