"""Reset tokens in PostgreSQL, as digests: one row per request, spent once under a row lock."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.infrastructure.db.tables import PasswordResetRow as Reset


class SqlPasswordResets:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def issue(
        self, request_id: UUID, user_id: UUID, digest: str, expires_at: datetime
    ) -> bool:
        values = {"token_digest": digest, "expires_at": expires_at}
        query = (
            insert(Reset)
            .values(request_id=request_id, user_uuid=user_id, **values)
            # A repeat of the request (a resent e-mail) replaces the unused token.
            .on_conflict_do_update(
                index_elements=[Reset.request_id], set_=values, where=Reset.used_at.is_(None)
            )
            .returning(Reset.request_id)
        )
        return (await self._session.execute(query)).first() is not None

    async def redeem(self, digest: str, now: datetime) -> UUID | None:
        # Locked, so of two confirmations with one token, the second finds it spent.
        live = (
            sa.select(Reset.user_uuid)
            .where(Reset.token_digest == digest, Reset.used_at.is_(None), Reset.expires_at > now)
            .with_for_update()
        )
        user_id = await self._session.scalar(live)
        if user_id is None:
            return None
        spend = sa.update(Reset).where(Reset.user_uuid == user_id, Reset.used_at.is_(None))
        await self._session.execute(spend.values(used_at=now))
        return user_id
