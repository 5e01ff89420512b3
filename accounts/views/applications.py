"""Applications tab: "Shows the list of installed applications that provide authentication credentials for
devices without user credentials"; **+ Create**, **Rotate secret**, **Revoke**. A client secret is shown once,
on the page that answers its creation or rotation (never stored in clear)."""
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from ..access import effective_permissions
from ..choices import ApplicationKind
from ..gate import OrgViewMixin
from ..models import Application
from ..roles import Perm
from ..services import applications as app_services


class ApplicationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=app_services.NAME_MAX,
                           help_text="For example the printer, agent or integration that will use it.")
    kind = forms.ChoiceField(label="Kind", choices=ApplicationKind.choices, initial=ApplicationKind.DEVICE)

    def apply_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error.messages)


class ApplicationsMixin(OrgViewMixin):
    def can_manage(self) -> bool:
        return Perm.APPLICATIONS_MANAGE in effective_permissions(self.request.user, self.organization)


class ApplicationObjectMixin(ApplicationsMixin):
    """One application (`application_id`) of the URL's organization; other organizations' ids answer 404."""

    def get_application(self) -> Application:
        if not hasattr(self, "_application"):
            queryset = Application.objects.for_user(self.request.user, self.permission, organization=self.organization)
            self._application = get_object_or_404(queryset, pk=self.kwargs["application_id"])
        return self._application

    def http_method_not_allowed(self, request, *args, **kwargs):
        self.get_application()  # another organization's id answers 404 whatever the method
        return super().http_method_not_allowed(request, *args, **kwargs)


class ApplicationListView(ApplicationsMixin, TemplateView):
    template_name = "accounts/applications/list.html"
    permission = Perm.APPLICATIONS_VIEW

    def get_context_data(self, **kwargs):
        applications = list(Application.objects.for_user(self.request.user, self.permission,
                                                         organization=self.organization)
                            .order_by("revoked_at", "name", "id")
                            .only("id", "name", "kind", "client_id", "created", "last_used_at", "revoked_at"))
        return super().get_context_data(applications=applications, can_manage=self.can_manage(), **kwargs)


@method_decorator(never_cache, name="dispatch")
class ApplicationCreateView(ApplicationsMixin, TemplateView):
    template_name = "accounts/applications/create.html"
    permission = Perm.APPLICATIONS_MANAGE

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ApplicationForm()))

    def post(self, request, *args, **kwargs):
        form = ApplicationForm(request.POST)
        if form.is_valid():
            try:
                app, secret = app_services.create_application(
                    self.organization, form.cleaned_data["name"], kind=form.cleaned_data["kind"], by=request.user)
            except ValidationError as error:
                form.apply_service_error(error)
            else:
                return secret_page(self, app, secret, created=True)
        return self.render_to_response(self.get_context_data(form=form))


def secret_page(view, app: Application, secret: str, *, created: bool):
    """The one page that shows a client secret; not cached, not stored."""
    view.template_name = "accounts/applications/secret.html"
    return view.render_to_response(view.get_context_data(application=app, secret=secret, created=created))


@method_decorator(never_cache, name="dispatch")
class ApplicationRotateView(ApplicationObjectMixin, TemplateResponseMixin, ContextMixin, View):
    """**Rotate secret**: a new secret, shown once; the old one and its tokens stop working."""

    permission = Perm.APPLICATIONS_MANAGE
    http_method_names = ["post"]
    template_name = "accounts/applications/secret.html"

    def post(self, request, *args, **kwargs):
        app = self.get_application()
        try:
            secret = app_services.rotate_secret(app, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("accounts:applications", org_id=self.organization.pk)
        app.refresh_from_db()
        return secret_page(self, app, secret, created=False)


class ApplicationRevokeView(ApplicationObjectMixin, View):
    """**Revoke**: the application gets no more tokens and its tokens stop working."""

    permission = Perm.APPLICATIONS_MANAGE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        app = app_services.revoke_application(self.get_application(), by=request.user)
        messages.success(request, f"Application {app.name} revoked.")
        return redirect("accounts:applications", org_id=self.organization.pk)


urlpatterns = [
    path("applications/", ApplicationListView.as_view(), name="applications"),
    path("applications/create/", ApplicationCreateView.as_view(), name="application-create"),
    path("applications/<int:application_id>/rotate/", ApplicationRotateView.as_view(), name="application-rotate"),
    path("applications/<int:application_id>/revoke/", ApplicationRevokeView.as_view(), name="application-revoke"),
]
