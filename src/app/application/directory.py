"""Use cases of the user directory: listing and searching accounts over the filter DSL."""

from __future__ import annotations

from app.application.auth import Principal
from app.application.ports import ListQuery, Page, Search
from app.application.users import UserView
from app.domain.auth.permissions import Permission


class DirectoryService:
    def __init__(self, search: Search) -> None:
        self._search = search

    async def list_users(self, actor: Principal, query: ListQuery) -> Page[UserView]:
        """A page of accounts, active or not, matching the query.
        Raises PermissionDenied, ValidationError (naming each bad key, the page or the cursor)."""
        actor.require(Permission.USERS_READ)
        page = await self._search.page(query)
        items = [UserView.from_row(row) for row in page.items]
        return Page(
            items=items, total=page.total, limit=page.limit, offset=page.offset, next=page.next
        )
