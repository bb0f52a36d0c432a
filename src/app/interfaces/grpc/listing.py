"""ListUsers: its request as the list query REST builds, and a page as its response."""

from __future__ import annotations

from app.application.ports import ListQuery, Page
from app.application.users import UserView
from app.interfaces.grpc import convert
from app.interfaces.grpc.pb import users_pb2


def list_query(request: users_pb2.ListUsersRequest) -> ListQuery:
    """The filters as sent, in order (a key repeated is kept): the DSL reads their text."""
    return ListQuery(
        filters=[(item.key, item.value) for item in request.filters],
        order_by=list(request.order_by),
        limit=request.limit if request.HasField("limit") else None,
        offset=request.offset,
        after=request.after if request.HasField("after") else None,
    )


def user_page(page: Page[UserView]) -> users_pb2.ListUsersResponse:
    return users_pb2.ListUsersResponse(
        items=[convert.user(view) for view in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next=page.next,
    )
