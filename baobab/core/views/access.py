"""What every app's pages share about who may open them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from baobab.core.models import User

View = Callable[..., HttpResponse]


def members_only(
    may_read: Callable[[User | AnonymousUser | None], bool], refusal: Any
) -> Callable[[View], View]:
    """A view decorator: anonymous visitors go to log in; accounts ``may_read``
    refuses get 403 with ``refusal`` (a lazily translated sentence)."""

    def member_required(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not may_read(request.user):
                raise PermissionDenied(str(refusal))
            return view(request, *args, **kwargs)

        return wrapped

    return member_required


def acting(request: HttpRequest) -> User:
    """The logged-in user making the request (the views are behind a
    ``members_only`` decorator)."""
    user = request.user
    assert isinstance(user, User)
    return user
