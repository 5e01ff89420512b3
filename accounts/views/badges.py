"""Badge pages (spec A §22, C §19): Users > Manage Badge/PIN > Badges tab (list, exact search, + Register,
bulk Delete, Import), a user's Registered Badges page (from the user page's Printer Login > Edit), and the
signed-in user's own badges (My Account > Printer Login > Badges > Register) at the site root."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import path, reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from lexcloud.ids import parse_ids

from ..access import effective_permissions
from ..forms.badges import BadgeImportForm, BadgeRegisterForm
from ..gate import OrgViewMixin
from ..models import User
from ..roles import Perm
from ..services import badge_import
from ..services import badges as badge_services

PAGE_SIZE = 50
TABS_TEMPLATE = "accounts/printer_login/_manage_tabs.html"


def _messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def _tabs_template() -> str | None:
    """The Badges/PINs tab bar of Manage Badge/PIN (helper PINS writes it); until then our own markup."""
    try:
        get_template(TABS_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return TABS_TEMPLATE


def badge_rows(badges, *, show: bool) -> list[dict]:
    """Display rows: masked badge ID unless shown, "<waiting for log in>", "<permanent>" or hours left."""
    now = timezone.now()
    rows = []
    for badge in badges:
        if badge.expires_at is None:
            expires = "<permanent>"
        else:
            seconds = max(0, (badge.expires_at - now).total_seconds())
            hours, rest = divmod(int(seconds), 3600)
            expires = f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min"
        rows.append({"badge": badge, "shown_id": badge.badge_id if show else badge_services.mask_badge_id(badge.badge_id),
                     "expires": expires})
    return rows


def _listing(request, badges):
    """Exact search ("Make sure to type the complete e-mail address or badge ID"), pagination, show flag."""
    query = request.GET.get("q", "").strip()
    show = request.GET.get("show") == "1"
    if query:
        badges = badges.filter(Q(user__email=query.lower()) | Q(badge_id=query))
    badges = badges.select_related("user").only(
        "id", "badge_id", "description", "temporary", "registered_at", "expires_at", "last_used_at", "user__email")
    page = Paginator(badges.order_by("-registered_at", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "rows": badge_rows(page.object_list, show=show), "query": query, "show": show,
            "total": page.paginator.count}


class BadgeListView(OrgViewMixin, TemplateView):
    """Users > Manage Badge/PIN > Badges."""

    template_name = "accounts/printer_login/badges.html"
    permission = Perm.BADGES_VIEW

    def get_context_data(self, **kwargs):
        badges = badge_services.valid_badges().for_user(self.request.user, Perm.BADGES_VIEW,
                                                        organization=self.organization)
        return super().get_context_data(**_listing(self.request, badges), tabs_template=_tabs_template(),
                                        active_tab="badges", **kwargs)


class BadgeRegisterView(OrgViewMixin, FormView):
    """**+ Register** → Register Badge: E-mail, Badge ID, Badge description, Show badge ID, Temporary Badge."""

    template_name = "accounts/printer_login/badge_register.html"
    permission = Perm.BADGES_MANAGE
    form_class = BadgeRegisterForm

    def get_initial(self):
        return {"email": self.request.GET.get("email", "")}

    def get_context_data(self, **kwargs):
        back = reverse("accounts:badges", kwargs={"org_id": self.organization.pk})
        return super().get_context_data(cancel_url=back, crumbs=[(back, "Manage Badge/PIN")], **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            badge = badge_services.register_badge_for_email(
                self.organization, data["email"], data["badge_id"], description=data["description"],
                temporary=data["temporary"], by=self.request.user)
        except ValidationError as error:
            form.apply_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Badge registered for {badge.user.email}.")
        return redirect("accounts:badges", org_id=self.organization.pk)


class BadgeBulkDeleteView(OrgViewMixin, View):
    """**Delete** → **Delete Badges**: POST the selected `ids`."""

    permission = Perm.BADGES_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id):
        ids = parse_ids(request.POST.getlist("ids"))
        if not ids:
            messages.error(request, "Select one or more badges to delete.")
        else:
            try:
                deleted = badge_services.delete_badges(self.organization, ids, by=request.user)
            except ValidationError as error:
                messages.error(request, _messages_of(error))
            else:
                messages.success(request, f"{deleted} badge{'s' if deleted != 1 else ''} deleted.")
        return redirect("accounts:badges", org_id=org_id)


class BadgeImportView(OrgViewMixin, FormView):
    """**Import** → Import Badges: the file is applied at once; the result (line numbers) shows on the page."""

    template_name = "accounts/printer_login/badge_import.html"
    permission = Perm.BADGES_MANAGE
    form_class = BadgeImportForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(header=badge_import.HEADER_LINE, sample=badge_import.SAMPLE_CSV, **kwargs)

    def form_valid(self, form):
        try:
            raw = badge_import.read_upload(form.cleaned_data["file"])
            result = badge_import.import_badges(self.organization, raw, by=self.request.user)
        except ValidationError as error:
            form.add_error("file", error.messages)
            return self.form_invalid(form)
        return self.render_to_response(self.get_context_data(form=self.form_class(), result=result))


class UserBadgesMixin(OrgViewMixin):
    """Pages of one user's badges (`user_id` of the URL's organization; other organizations' ids → 404)."""

    def get_target(self) -> User:
        if not hasattr(self, "_target"):
            users = User.objects.for_user(self.request.user, Perm.BADGES_VIEW, organization=self.organization)
            self._target = get_object_or_404(users, pk=self.kwargs["user_id"])
        return self._target

    def http_method_not_allowed(self, request, *args, **kwargs):
        self.get_target()
        return super().http_method_not_allowed(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        org = self.organization
        target = self.get_target()
        users_url = reverse("accounts:users", kwargs={"org_id": org.pk})
        user_url = reverse("accounts:user", kwargs={"org_id": org.pk, "user_id": target.pk})
        return super().get_context_data(
            target=target, user_url=user_url,
            crumbs=[(users_url, "Users"), (user_url, target.email)],
            can_manage=Perm.BADGES_MANAGE in effective_permissions(self.request.user, org), **kwargs)


class UserBadgesView(UserBadgesMixin, TemplateView):
    """A user's "Registered Badges" (user page > Printer Login > Badges > Edit): + Register, Delete."""

    template_name = "accounts/printer_login/user_badges.html"
    permission = Perm.BADGES_VIEW

    def get_context_data(self, **kwargs):
        target = self.get_target()
        badges = badge_services.valid_badges().filter(organization=self.organization, user=target)
        return super().get_context_data(**_listing(self.request, badges), **kwargs)


class UserBadgeRegisterView(UserBadgesMixin, FormView):
    template_name = "accounts/printer_login/badge_register.html"
    permission = Perm.BADGES_MANAGE
    form_class = BadgeRegisterForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "with_email": False}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        back = reverse("accounts:user-badges", kwargs={"org_id": self.organization.pk,
                                                       "user_id": self.get_target().pk})
        context["crumbs"] = [*context["crumbs"], (back, "Registered Badges")]
        context["cancel_url"] = back
        return context

    def form_valid(self, form):
        data, target = form.cleaned_data, self.get_target()
        try:
            badge_services.register_badge(target, data["badge_id"], description=data["description"],
                                          temporary=data["temporary"], by=self.request.user)
        except ValidationError as error:
            form.apply_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Badge registered for {target.email}.")
        return redirect("accounts:user-badges", org_id=self.organization.pk, user_id=target.pk)


class UserBadgesDeleteView(UserBadgesMixin, View):
    permission = Perm.BADGES_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id, user_id):
        target = self.get_target()
        ids = parse_ids(request.POST.getlist("ids"))
        if not ids:
            messages.error(request, "Select one or more badges to delete.")
        else:
            try:
                deleted = badge_services.delete_badges(self.organization, ids, by=request.user, user=target)
            except ValidationError as error:
                messages.error(request, _messages_of(error))
            else:
                messages.success(request, f"{deleted} badge{'s' if deleted != 1 else ''} deleted.")
        return redirect("accounts:user-badges", org_id=org_id, user_id=target.pk)


# --- My Account: the signed-in user's own badges ---------------------------------------------------------

class MyBadgesView(LoginRequiredMixin, FormView):
    """"This action can only be performed by users for their own badge": register (POST action=register)
    and delete (POST action=delete, `ids`) the signed-in user's badges."""

    template_name = "accounts/printer_login/my_badges.html"
    form_class = BadgeRegisterForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["with_email"] = False
        if self.request.method == "POST" and self.request.POST.get("action") == "delete":
            kwargs.pop("data", None)
            kwargs.pop("files", None)
        return kwargs

    def get_context_data(self, **kwargs):
        me = self.request.user
        badges = badge_services.valid_badges().filter(user=me, organization_id=me.organization_id)
        return super().get_context_data(**_listing(self.request, badges), **kwargs)

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "delete":
            ids = parse_ids(request.POST.getlist("ids"))
            if not ids:
                messages.error(request, "Select one or more badges to delete.")
            else:
                deleted = badge_services.delete_badges(request.user.organization, ids, by=request.user,
                                                       user=request.user)
                messages.success(request, f"{deleted} badge{'s' if deleted != 1 else ''} deleted.")
            return redirect("my-badges")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            badge_services.register_badge(self.request.user, data["badge_id"], description=data["description"],
                                          temporary=data["temporary"], by=self.request.user)
        except ValidationError as error:
            form.apply_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Badge registered.")
        return redirect("my-badges")


urlpatterns = [
    path("users/badges/", BadgeListView.as_view(), name="badges"),
    path("users/badges/register/", BadgeRegisterView.as_view(), name="badge-register"),
    path("users/badges/delete/", BadgeBulkDeleteView.as_view(), name="badges-delete"),
    path("users/badges/import/", BadgeImportView.as_view(), name="badge-import"),
    path("users/<int:user_id>/badges/", UserBadgesView.as_view(), name="user-badges"),
    path("users/<int:user_id>/badges/register/", UserBadgeRegisterView.as_view(), name="user-badge-register"),
    path("users/<int:user_id>/badges/delete/", UserBadgesDeleteView.as_view(), name="user-badges-delete"),
]

root_urlpatterns = [
    path("my-account/badges/", MyBadgesView.as_view(), name="my-badges"),
]
