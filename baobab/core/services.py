"""All writes to core data: teams, users, memberships, tokens, settings.

Each function checks permission, writes inside one transaction and records
the change in the audit log, whichever channel calls it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.core import audit, permissions, totp
from baobab.core.choices import Role
from baobab.core.models import ApiToken, CommunitySettings, Membership, SharingGroup, Team, User
from baobab.core.permissions import require_community_admin, require_role

_M = TypeVar("_M", bound=models.Model)

TOKEN_PREFIX = "bbt_"  # noqa: S105 - a marker, not a secret


# --- generic audited writes, used by every app's services -------------------


def create_object(
    obj: _M, *, acting_user: User | None, m2m: dict[str, Iterable[Any]] | None = None
) -> _M:
    """Validate, save and audit a new object (and set its many-to-many fields)."""
    obj.full_clean()
    with transaction.atomic():
        obj.save()
        for name, values in (m2m or {}).items():
            getattr(obj, name).set(values)
        audit.record(acting_user=acting_user, action="create", obj=obj, after=audit.snapshot(obj))
    return obj


def update_object(
    obj: _M,
    changes: dict[str, Any],
    *,
    acting_user: User | None,
    m2m: dict[str, Iterable[Any]] | None = None,
    leave: Iterable[str] = (),
) -> _M:
    """Apply ``changes`` to ``obj``, validate, save and audit before/after.

    Fields named in ``leave`` are not written (others may change them meanwhile).
    """
    before = audit.snapshot(obj)
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.full_clean()
    left = set(leave)
    update_fields = (
        [f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name not in left]
        if left
        else None
    )
    with transaction.atomic():
        obj.save(update_fields=update_fields)
        for name, values in (m2m or {}).items():
            getattr(obj, name).set(values)
        audit.record(
            acting_user=acting_user,
            action="update",
            obj=obj,
            before=before,
            after=audit.snapshot(obj),
        )
    return obj


def delete_object(obj: models.Model, *, acting_user: User | None) -> None:
    """Delete ``obj`` and audit what it held."""
    before = audit.snapshot(obj)
    object_id = str(obj.pk)
    with transaction.atomic():
        obj.delete()
        audit.record(
            acting_user=acting_user, action="delete", obj=obj, before=before, object_id=object_id
        )


def check_sharing_group(team: Team, group: SharingGroup | None) -> None:
    """An object of ``team`` can be shared only with a group the team owns or is in."""
    if group is None:
        return
    if group.owner_team_id != team.pk and not group.member_teams.filter(pk=team.pk).exists():
        raise ValidationError(
            {
                "sharing_group": _("%(team)s is not in the sharing group %(group)s.")
                % {"team": team, "group": group}
            }
        )


# --- teams ------------------------------------------------------------------


def create_team(*, acting_user: User | None, **fields: Any) -> Team:
    require_community_admin(acting_user) if acting_user is not None else None
    return create_object(Team(**fields), acting_user=acting_user)


def update_team(team: Team, changes: dict[str, Any], *, acting_user: User | None) -> Team:
    if acting_user is not None:
        require_role(acting_user, team, Role.ADMIN)
        if "vetting_level" in changes and changes["vetting_level"] != team.vetting_level:
            require_community_admin(acting_user)
    return update_object(team, changes, acting_user=acting_user)


def delete_team(team: Team, *, acting_user: User | None) -> None:
    """Delete a team; each membership it ends is audited on its own."""
    if acting_user is not None:
        require_community_admin(acting_user)
    with transaction.atomic():
        for membership in team.memberships.select_related("user"):
            delete_object(membership, acting_user=acting_user)
        delete_object(team, acting_user=acting_user)


# --- users and memberships --------------------------------------------------


def add_user(
    username: str,
    *,
    team: Team,
    role: Role,
    email: str = "",
    password: str | None = None,
    is_community_admin: bool = False,
    acting_user: User | None,
) -> User:
    """Create a user in ``team`` with ``role``. ``acting_user`` None means the CLI operator.

    Without a password the account cannot log in until one is set. Only
    community administrators may create another community administrator.
    """
    if acting_user is not None:
        require_role(acting_user, team, Role.ADMIN)
        if is_community_admin:
            require_community_admin(acting_user)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("A user named %(name)s already exists.") % {"name": username}}
        )
    user = User(username=username, email=email, is_community_admin=is_community_admin)
    user.full_clean(exclude=["password"])
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        user.save()
        audit.record(acting_user=acting_user, action="create", obj=user, after=audit.snapshot(user))
        set_membership(user, team, role, acting_user=acting_user)
    return user


def _keep_a_team_admin(
    membership: Membership, new_role: Role | None, acting_user: User | None
) -> None:
    """Refuse to let a team admin leave their team without any admin.

    Community administrators and the command line may do it (they can repair it).
    """
    if acting_user is None or permissions.is_community_admin(acting_user):
        return
    if membership.role != Role.ADMIN or new_role == Role.ADMIN:
        return
    others = Membership.objects.filter(team_id=membership.team_id, role=Role.ADMIN).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise ValidationError(
            _("%(team)s would have no team admin left; make another member team admin first.")
            % {"team": membership.team}
        )


def set_membership(user: User, team: Team, role: Role, *, acting_user: User | None) -> Membership:
    """Put ``user`` in ``team`` with ``role`` (or change the role they have)."""
    if acting_user is not None:
        require_role(acting_user, team, Role.ADMIN)
    with transaction.atomic():
        membership = Membership.objects.filter(user=user, team=team).first()
        if membership is None:
            return create_object(
                Membership(user=user, team=team, role=role), acting_user=acting_user
            )
        _keep_a_team_admin(membership, role, acting_user)
        return update_object(membership, {"role": role}, acting_user=acting_user)


def remove_membership(membership: Membership, *, acting_user: User | None) -> None:
    """Take a user out of a team (the account itself stays)."""
    if acting_user is not None:
        require_role(acting_user, membership.team, Role.ADMIN)
    _keep_a_team_admin(membership, None, acting_user)
    delete_object(membership, acting_user=acting_user)


def change_password(user: User, password: str, *, acting_user: User | None) -> User:
    """Set a new password for ``user`` (their own, or any, for the command line)."""
    if acting_user is not None and acting_user.pk != user.pk:
        require_community_admin(acting_user)
    validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        # The password itself never reaches the log: only that it changed.
        audit.record(acting_user=acting_user, action="password_change", obj=user)
    return user


# --- TOTP second factor -----------------------------------------------------


def _require_self(user: User, acting_user: User | None) -> None:
    if acting_user is not None and acting_user.pk != user.pk:
        raise PermissionDenied(_("Only the account holder may change their second factor."))


def enable_totp(user: User, *, secret: str, code: str, acting_user: User | None) -> User:
    """Turn the second factor on with ``secret``, once ``code`` proves the user holds it."""
    _require_self(user, acting_user)
    if not totp.verify(secret, code):
        raise ValidationError(
            {"code": _("That code is not valid. Check your device's clock and try again.")}
        )
    return update_object(
        user, {"totp_secret": secret, "totp_confirmed": True}, acting_user=acting_user
    )


def disable_totp(user: User, *, code: str, acting_user: User | None) -> User:
    """Turn the second factor off; needs a current code and a role that allows it."""
    _require_self(user, acting_user)
    if totp.required_for(user):
        raise PermissionDenied(
            _("Your community requires a second factor for your role: it cannot be turned off.")
        )
    if not totp.accept_code(user, code):
        raise ValidationError({"code": _("That code is not valid.")})
    return update_object(
        user, {"totp_secret": "", "totp_confirmed": False}, acting_user=acting_user
    )


def reset_totp(user: User, *, acting_user: User | None) -> User:
    """Remove a user's second factor (lost device); community administrators only.

    If the community requires a second factor for the user's role, they are
    asked to enrol again at their next login.
    """
    if acting_user is not None:
        require_community_admin(acting_user)
    return update_object(
        user, {"totp_secret": "", "totp_confirmed": False}, acting_user=acting_user
    )


# --- API tokens -------------------------------------------------------------


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(user: User, *, name: str = "", acting_user: User | None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it with the key, which is never stored."""
    if acting_user is not None and acting_user.pk != user.pk:
        require_community_admin(acting_user)
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name, prefix=key[: len(TOKEN_PREFIX) + 6], key_hash=hash_token(key)
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
        audit.record(
            acting_user=acting_user, action="create", obj=token, after=audit.snapshot(token)
        )
    return token, key


def revoke_token(token: ApiToken, *, acting_user: User | None) -> ApiToken:
    if acting_user is not None and acting_user.pk != token.user_id:
        require_community_admin(acting_user)
    if token.revoked_at is not None:
        return token
    return update_object(token, {"revoked_at": timezone.now()}, acting_user=acting_user)


def user_for_token(key: str) -> tuple[User, ApiToken] | None:
    """The active user and token a key belongs to, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token


# --- community settings -----------------------------------------------------


def update_community_settings(
    changes: dict[str, Any], *, acting_user: User | None
) -> CommunitySettings:
    if acting_user is not None:
        require_community_admin(acting_user)
    return update_object(CommunitySettings.load(), changes, acting_user=acting_user)
