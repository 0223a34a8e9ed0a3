"""Pages of the core app: home, account, second factor, team members, community."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from baobab.core.views import account, community, pages

app_name = "core"

urlpatterns = [
    path("", pages.home, name="home"),
    path("account/", account.account, name="account"),
    path("account/login/", account.BaobabLoginView.as_view(), name="login"),
    path("account/logout/", LogoutView.as_view(), name="logout"),
    path("account/password/", account.password_change, name="password-change"),
    path("account/tokens/", account.token_create, name="token-create"),
    path("account/tokens/<int:pk>/revoke/", account.token_revoke, name="token-revoke"),
    path("account/totp/setup/", account.totp_setup, name="totp-setup"),
    path("account/totp/verify/", account.totp_verify, name="totp-verify"),
    path("account/totp/disable/", account.totp_disable, name="totp-disable"),
    path("teams/<str:short_name>/members/", community.team_members, name="team-members"),
    path("community/audit/", community.audit_log, name="audit-log"),
    path("community/settings/", community.community_settings, name="community-settings"),
]
