"""Account Management pages and the shell's own pages (sign-in, dashboard, My Account)."""
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .forms_auth import ResetForm, SignInForm
from .views import (
                    applications,
                    auth_provider,
                    badges,
                    dashboards,
                    device_pages,
                    federation,
                    groups,
                    home,
                    imports,
                    login_codes,
                    my_account,
                    organizations,
                    printer_login,
                    users,
)

account = [
    path("", home.AccountHomeView.as_view(), name="home"),
    path("switch/", home.SwitchOrganizationView.as_view(), name="switch"),
    *organizations.urlpatterns,
    *users.urlpatterns,
    *imports.urlpatterns,
    *groups.urlpatterns,
    *printer_login.urlpatterns,
    *auth_provider.urlpatterns,
    *badges.urlpatterns,
    *applications.urlpatterns,
]

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", federation.SignInView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/logout/", federation.SignOutView.as_view(), name="logout"),
    path("federation/", include((federation.urlpatterns, "federation"))),
    path("accounts/password_reset/", auth_views.PasswordResetView.as_view(form_class=ResetForm),
         name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    *my_account.urlpatterns,
    *dashboards.urlpatterns,
    *login_codes.urlpatterns,
    *device_pages.urlpatterns,
    # the signed-in user's own PIN and badges (My Account), outside any organization URL
    *getattr(printer_login, "root_urlpatterns", []),
    *getattr(badges, "root_urlpatterns", []),
    path("o/<uuid:org_id>/account/", include((account, "accounts"))),
]
