"""What can go wrong with users, as subclasses of the contract's error kinds."""

from __future__ import annotations

from app.domain.shared import (
    AlreadyExistsError,
    AuthenticationError,
    AuthorizationError,
    NotFoundError,
    ValidationError,
)


class InvalidField(ValidationError):
    """A profile field has a bad value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[(field, message)])
        self.field = field


class EmailAlreadyTaken(AlreadyExistsError):
    def __init__(self) -> None:
        super().__init__("A user with this email already exists")


class UserNotFound(NotFoundError):
    def __init__(self) -> None:
        super().__init__("User not found")


class InvalidCredentials(AuthenticationError):
    def __init__(self) -> None:
        super().__init__("Incorrect email or password")


class InactiveAccount(AuthorizationError):
    def __init__(self) -> None:
        super().__init__("This account is inactive")


class LastAdmin(AuthorizationError):
    """The change would leave no active admin: nobody could administer the accounts any more."""

    def __init__(self) -> None:
        super().__init__("This is the last active admin: grant admin to another account first")


class WrongPassword(AuthenticationError):
    """The current password given to change it is not the account's."""

    def __init__(self) -> None:
        super().__init__("The current password is incorrect")


class InvalidResetToken(AuthenticationError):
    """The token is unknown, spent or expired: like a wrong password, it proves no one."""

    def __init__(self) -> None:
        message = "invalid, already used or expired; ask for a new reset"
        super().__init__(f"token: {message}", errors=[("token", message)])


class UndeliverableEmail(ValidationError):
    """The mail server refuses the address for good: sending again would fail again."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"email: the mail server refuses this address ({reason})")
