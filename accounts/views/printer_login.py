"""Printer login pages: Organization > Printer Login Configuration, Users > Manage Badge/PIN > PINs
(list, Generate, Delete), and the signed-in user's own PIN (My Account, `root_urlpatterns`)."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from lexcloud.ids import parse_ids

from ..access import effective_permissions
from ..choices import PinGeneration, PinSource
from ..forms.organizations import apply_errors
from ..forms.printer_login import MyPinForm, PinGenerateForm, PrinterLoginConfigurationForm
from ..gate import OrgViewMixin
from ..models import User, UserPin
from ..roles import Perm
from ..services import printer_login as pins

PAGE_SIZE = 50


def _first_message(error) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


class PrinterLoginConfigurationView(OrgViewMixin, TemplateView):
    """Organization > Printer Login Configuration: anyone with ORG_VIEW looks, ORG_MANAGE saves."""

    template_name = "accounts/printer_login/config.html"
    permission = Perm.ORG_VIEW

    def can_manage(self) -> bool:
        return Perm.ORG_MANAGE in effective_permissions(self.request.user, self.organization)

    def get_context_data(self, form=None, **kwargs):
        config = pins.get_configuration(self.organization)
        if form is None:
            form = PrinterLoginConfigurationForm(organization=self.organization, config=config)
        return super().get_context_data(form=form, config=config, can_manage=self.can_manage(),
                                        federated=self.organization.federation_enabled,
                                        federation_rule=pins.FEDERATION_RULE, **kwargs)

    def post(self, request, org_id):
        if not self.can_manage():
            raise PermissionDenied("You do not have the role this operation needs.")
        form = PrinterLoginConfigurationForm(request.POST, organization=self.organization)
        if form.is_valid():
            try:
                pins.update_configuration(self.organization, by=request.user, **form.normalized)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Printer Login Configuration saved. Printers apply it at their next "
                                          "check, within 15 minutes.")
                return redirect("accounts:printer-login", org_id=org_id)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PinListView(OrgViewMixin, TemplateView):
    """Users > Manage Badge/PIN > PINs: the users who have a PIN."""

    template_name = "accounts/printer_login/pins.html"
    permission = Perm.PINS_VIEW

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "").strip()
        rows = (UserPin.objects.for_user(self.request.user, Perm.PINS_VIEW, organization=self.organization)
                .select_related("user").only("id", "source", "created_at", "expires_at", "user__id", "user__email",
                                             "user__first_name", "user__last_name", "user__display_name")
                .order_by("user__email"))
        if query:
            rows = rows.filter(user__email__icontains=query)
        page = Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("page"))
        config = pins.get_configuration(self.organization)
        return super().get_context_data(page=page, query=query, total=page.paginator.count, config=config,
                                        can_manage=Perm.PINS_MANAGE in effective_permissions(self.request.user,
                                                                                             self.organization),
                                        active_tab="pins", now=timezone.now(), **kwargs)


def _back_to(request, org_id, fallback="accounts:pins"):
    """Pages reached from a user's page go back there (`back` = that user's id), others to the PINs tab."""
    back = parse_ids([request.POST.get("back") or request.GET.get("back") or ""])
    if back:
        return reverse("accounts:user", kwargs={"org_id": org_id, "user_id": back[0]})
    return reverse(fallback, kwargs={"org_id": org_id})


class PinGenerateView(OrgViewMixin, FormView):
    """**Generate** (and the user page's Set PIN / Reset PIN): E-mail, PIN code unless PINs are generated,
    then **Generate PIN**. The PIN is e-mailed to the user."""

    template_name = "accounts/printer_login/pin_generate.html"
    permission = Perm.PINS_MANAGE
    form_class = PinGenerateForm

    def config(self):
        if not hasattr(self, "_config"):
            self._config = pins.get_configuration(self.organization)
        return self._config

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "config": self.config()}

    def get_initial(self):
        return {"email": self.request.GET.get("email", "")}

    def get_context_data(self, **kwargs):
        back = parse_ids([self.request.POST.get("back") or self.request.GET.get("back") or ""])
        return super().get_context_data(config=self.config(), rule=pins.pin_rule(self.config()),
                                        back=back[0] if back else "", cancel_url=_back_to(self.request,
                                                                                           self.organization.pk),
                                        **kwargs)

    def form_valid(self, form):
        user = (User.objects.for_user(self.request.user, Perm.PINS_MANAGE, organization=self.organization)
                .filter(email=form.cleaned_data["email"]).select_related("organization").first())
        if user is None:
            form.add_error("email", "The user's email address must already exist in the organization.")
            return self.form_invalid(form)
        try:
            if form.typed:
                pins.set_pin(user, form.cleaned_data["pin"], by=self.request.user, source=PinSource.ADMIN)
            else:
                pins.generate_pin(user, by=self.request.user)
        except ValidationError as error:
            apply_errors(form, error)
            return self.form_invalid(form)
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, f"PIN saved. An e-mail with the PIN was sent to {user.email}.")
        return redirect(_back_to(self.request, self.organization.pk))


class PinDeleteView(OrgViewMixin, View):
    """**Delete** > **Delete PINs**: POST the selected user `ids` (or one user's, from their page)."""

    permission = Perm.PINS_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id):
        ids = parse_ids(request.POST.getlist("ids"))
        if not ids:
            messages.error(request, "Select one or more users whose PIN to delete.")
            return redirect(_back_to(request, org_id))
        try:
            deleted = pins.delete_pins(self.organization, ids, by=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _first_message(error))
        else:
            messages.success(request, f"{deleted} PIN{'s' if deleted != 1 else ''} deleted.")
        return redirect(_back_to(request, org_id))


class MyPinView(LoginRequiredMixin, TemplateView):
    """My Account > Printer Login > PIN: under "User set" the user types a PIN (**Generate PIN**); under
    "Automatically generate and email" a POST has a new PIN generated and e-mailed; under "Administrator
    manually set" there is nothing to do here."""

    template_name = "accounts/printer_login/my_pin.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.config = pins.get_configuration(request.user.organization)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.config.pin_generation != PinGeneration.USER_SET:
            return redirect("my-account")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        has_pin = UserPin.objects.filter(user=self.request.user).exists()
        return super().get_context_data(form=form or MyPinForm(config=self.config), config=self.config,
                                        rule=pins.pin_rule(self.config), has_pin=has_pin, **kwargs)

    def post(self, request):
        me = request.user
        generation = self.config.pin_generation
        if generation == PinGeneration.AUTO_EMAIL:
            try:
                pins.generate_pin(me, by=me)
            except ValidationError as error:
                messages.error(request, _first_message(error))
            else:
                messages.success(request, f"A new PIN was sent to {me.email}.")
            return redirect("my-account")
        if generation != PinGeneration.USER_SET:
            messages.error(request, "Check e-mail or contact admin for your PIN.")
            return redirect("my-account")
        form = MyPinForm(request.POST, config=self.config)
        if form.is_valid():
            try:
                pins.set_pin(me, form.cleaned_data["pin"], by=me, source=PinSource.USER)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Your PIN was saved.")
                return redirect("my-account")
        return self.render_to_response(self.get_context_data(form=form), status=400)


urlpatterns = [
    path("printer-login/", PrinterLoginConfigurationView.as_view(), name="printer-login"),
    path("users/pins/", PinListView.as_view(), name="pins"),
    path("users/pins/generate/", PinGenerateView.as_view(), name="pin-generate"),
    path("users/pins/delete/", PinDeleteView.as_view(), name="pins-delete"),
]

root_urlpatterns = [
    path("my-account/pin/", MyPinView.as_view(), name="my-pin"),
]
