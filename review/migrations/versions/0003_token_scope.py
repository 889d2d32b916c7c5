"""API tokens get a scope: read-only tokens read, the others may also upload.

Tokens made before this revision were made for a read-only API (they could
only read approved documents): they stay read-only, so nobody's token gains a
right it was not given. A new token is made with upload rights unless
``--read-only`` is given.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("read_only", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("read_only")
