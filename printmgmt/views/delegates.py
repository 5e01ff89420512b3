"""Delegates: the users who may print the signed-in user's jobs (Add with or without expiry, Remove), and the
users the signed-in user prints for. Needs "Enable print job delegation"."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.forms.organizations import apply_errors
from accounts.roles import Perm
from lexcloud.ids import parse_ids

from ..forms import DelegateForm
from ..models import Delegate
from ..services import delegates as delegate_services
from .base import PrintViewMixin, plural


class DelegatesView(PrintViewMixin, TemplateView):
    template_name = "printmgmt/delegates.html"
    permission = Perm.PRINT_USE
    print_tab = "delegates"

    def get_context_data(self, form=None, **kwargs):
        mine = (Delegate.objects.for_user(self.request.user, Perm.PRINT_USE, organization=self.organization)
                .filter(delegator=self.request.user).active().select_related("delegate").order_by("delegate__email"))
        for_others = (Delegate.objects.for_user(self.request.user, Perm.PRINT_USE, organization=self.organization)
                      .filter(delegate=self.request.user).active().select_related("delegator")
                      .order_by("delegator__email"))
        return super().get_context_data(delegates=mine, delegators=for_others, form=form or DelegateForm(),
                                        now=timezone.now(), **kwargs)

    def post(self, request, org_id):
        """Add Delegate."""
        form = DelegateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                delegate = self.user_in_org(data["email"], Perm.PRINT_USE)
            except Http404:
                form.add_error("email", "No active user of the organization has this e-mail address.")
            else:
                days = data["days"] if data["expiry"] == "after" else None
                try:
                    delegate_services.add_delegate(request.user, delegate, expires_after_days=days, by=request.user)
                except ValidationError as error:
                    if hasattr(error, "error_dict") and "delegate" in error.error_dict:
                        error = ValidationError({"email": error.error_dict["delegate"]})
                    if hasattr(error, "error_dict") and "expires_after_days" in error.error_dict:
                        error = ValidationError({"days": error.error_dict["expires_after_days"]})
                    apply_errors(form, error)
                else:
                    messages.success(request, f"{delegate.email} added as a delegate.")
                    return redirect("printmgmt:delegates", org_id=org_id)
        return self.render_to_response(self.get_context_data(form=form, add_open=True), status=400)


class RemoveDelegatesView(PrintViewMixin, View):
    permission = Perm.PRINT_USE
    http_method_names = ["post"]

    def post(self, request, org_id):
        removed = delegate_services.remove_delegates(request.user, parse_ids(request.POST.getlist("delegate")),
                                                     by=request.user)
        if removed:
            messages.success(request, f"{plural(removed, 'delegate')} removed.")
        else:
            messages.error(request, "Select one or more delegates to remove.")
        return redirect("printmgmt:delegates", org_id=org_id)


urlpatterns = [
    path("delegates/", DelegatesView.as_view(), name="delegates"),
    path("delegates/remove/", RemoveDelegatesView.as_view(), name="delegates-remove"),
]
