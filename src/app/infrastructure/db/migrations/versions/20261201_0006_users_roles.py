"""users roles: the roles each account holds, indexed to find the holders of one

Every existing account gets the base role `user` (a constant default: no table rewrite). The
retired `photo` and `is_guest` columns stay: the release before this one still reads and writes
them during a rollout, so a later migration drops them (docs/deployment.md, "Rolling out a
release").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "roles",
            postgresql.ARRAY(sa.String(length=32)),
            server_default=sa.text("'{user}'"),
            nullable=False,
        ),
    )
    # Concurrently, outside the migration's transaction: building it must not hold back the
    # sign-ups and profile changes of the release still serving.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_users_roles",
            "users",
            ["roles"],
            unique=False,
            postgresql_using="gin",
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    op.drop_index("ix_users_roles", table_name="users", postgresql_using="gin")
    op.drop_column("users", "roles")
