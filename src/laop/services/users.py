"""Users (salespeople and managers) and who is acting."""

import getpass

from sqlmodel import Session, func, select

from laop.enums import Role, parse_enum
from laop.errors import ConflictError, InvalidInput, NotFound
from laop.models import User

__all__ = ["acting_user", "add_user", "edit_user", "get_user", "list_users", "user_view"]


def add_user(
    session: Session,
    *,
    name: str,
    role: str = "sales",
    subaccount: str | None = None,
    email: str | None = None,
) -> User:
    """Create a user; names are unique and case-insensitive."""
    from laop.services.normalize import normalize_email

    clean = name.strip()
    if not clean or len(clean) > 80 or any(ch.isspace() for ch in clean):
        raise InvalidInput(f"A user name is one word of at most 80 characters, got {name!r}.")
    if _find(session, clean) is not None:
        raise ConflictError(f"A user named {clean!r} already exists.")
    user = User(
        name=clean,
        role=parse_enum(Role, role, what="role").value,
        subaccount=(subaccount or "").strip() or None,
        email=normalize_email(email) if email else None,
    )
    session.add(user)
    session.flush()
    return user


def edit_user(
    session: Session,
    user: User,
    *,
    role: str | None = None,
    subaccount: str | None = None,
    email: str | None = None,
) -> User:
    """Change a user's role, sub-account or e-mail."""
    from laop.services.normalize import normalize_email

    if role is not None:
        user.role = parse_enum(Role, role, what="role").value
    if subaccount is not None:
        user.subaccount = subaccount.strip() or None
    if email is not None:
        user.email = normalize_email(email) if email.strip() else None
    session.add(user)
    session.flush()
    return user


def _find(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.name) == name.lower())).first()


def get_user(session: Session, name: str) -> User:
    """The user called ``name``; NotFound names the users that exist."""
    user = _find(session, name.strip())
    if user is None:
        names = ", ".join(u.name for u in list_users(session)) or "none yet"
        raise NotFound(f"No user named {name!r}; users: {names} (add one with `laop user add`).")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.exec(select(User).order_by(User.name)))


def acting_user(session: Session, name: str | None) -> User:
    """Who runs this command: ``--as`` / LAOP_USER, else the only user.

    A one-person install never names a user: the first command that needs one
    creates a manager named after the login account.
    """
    if name:
        return get_user(session, name)
    users = list_users(session)
    if not users:
        login = "".join(ch for ch in getpass.getuser() if not ch.isspace()) or "me"
        return add_user(session, name=login, role=Role.MANAGER)
    if len(users) == 1:
        return users[0]
    login_user = _find(session, getpass.getuser())
    if login_user is not None:
        return login_user
    names = ", ".join(u.name for u in users)
    raise InvalidInput(
        f"Several users exist ({names}); say who you are with --as USER or LAOP_USER."
    )


def user_view(user: User) -> dict[str, object]:
    """The JSON shape of a user."""
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "subaccount": user.subaccount,
        "email": user.email,
    }


def count_users(session: Session) -> int:
    """How many users exist."""
    return session.exec(select(func.count()).select_from(User)).one()
