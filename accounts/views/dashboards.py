"""Dashboards and cards: the page every user lands on after sign-in (guide §3).

Dashboards belong to the signed-in user; any other user's dashboard or card id answers 404. Every action is a
small POST view calling accounts.services.dashboards and reporting refusals (the limits) as messages.
"""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views import View
from django.views.generic import TemplateView

from ..models import Card, Dashboard
from ..roles import Perm
from ..services import dashboards as services

REFRESH_SECONDS = 300  # "The cards on the dashboard automatically refresh after every five minutes."


def _error(request, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


class DashboardMixin(LoginRequiredMixin):
    """Resolves `dashboard_id` (and `card_id`) among the signed-in user's own rows only."""

    permission = Perm.OWN_ACCOUNT  # every signed-in user holds it in their own organization

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if "dashboard_id" in kwargs:
            self.dashboard = get_object_or_404(Dashboard, user=request.user, pk=kwargs["dashboard_id"])
        else:
            self.dashboard = services.ensure_default_dashboard(request.user)
        self.dashboard.user = request.user  # same row; keeps the user's access cache
        if "card_id" in kwargs:
            self.card = get_object_or_404(Card, dashboard=self.dashboard, pk=kwargs["card_id"])
            self.card.dashboard = self.dashboard
        return super().dispatch(request, *args, **kwargs)

    def dashboard_url(self):
        return reverse("dashboard-detail", kwargs={"dashboard_id": self.dashboard.pk})

    def edit_url(self):
        return reverse("dashboard-edit", kwargs={"dashboard_id": self.dashboard.pk})

    def back(self, default=None):
        """Back to the page the action came from (only our own dashboard pages), else to `default`."""
        target = self.request.POST.get("next", "")
        if target.startswith("/dashboard/") and "//" not in target:
            return redirect(target)
        return redirect(default or self.dashboard_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        services.ensure_default_dashboard(self.request.user)
        context.update(dashboard=self.dashboard, dashboards=list(Dashboard.objects.filter(user=self.request.user)),
                       max_dashboards=services.MAX_DASHBOARDS, max_cards=services.MAX_CARDS,
                       show_org=services.is_partner_admin(self.request.user),
                       column_choices=range(services.MIN_COLUMNS, services.MAX_COLUMNS + 1))
        return context


class DashboardView(DashboardMixin, TemplateView):
    """/dashboard/ (the default dashboard) and /dashboard/<id>/."""

    template_name = "dashboards/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            items=services.render_cards(self.request, self.dashboard),
            hidden_count=self.dashboard.cards.filter(hidden=True).count(),
            refresh_seconds=REFRESH_SECONDS, **kwargs)


class DashboardCardsView(DashboardMixin, TemplateView):
    """The card grid alone, fetched by the five-minute auto refresh."""

    template_name = "dashboards/_grid.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(items=services.render_cards(self.request, self.dashboard), **kwargs)


class DashboardCreateView(DashboardMixin, TemplateView):
    template_name = "dashboards/name_form.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("value", "")
        return super().get_context_data(title="Create Dashboard", submit="Create", **kwargs)

    def post(self, request, *args, **kwargs):
        name = request.POST.get("name", "")
        try:
            dashboard = services.create_dashboard(request.user, name)
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(value=name[:100], errors=exc.messages))
        messages.success(request, f"Dashboard {dashboard.name} created.")
        return redirect("dashboard-detail", dashboard_id=dashboard.pk)


class DashboardRenameView(DashboardMixin, TemplateView):
    template_name = "dashboards/name_form.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("value", self.dashboard.name)
        return super().get_context_data(title="Rename Dashboard", submit="Rename", **kwargs)

    def post(self, request, *args, **kwargs):
        name = request.POST.get("name", "")
        try:
            services.rename_dashboard(self.dashboard, name)
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(value=name[:100], errors=exc.messages))
        messages.success(request, "Dashboard renamed.")
        return redirect(self.dashboard_url())


class DashboardConfirmView(DashboardMixin, TemplateView):
    """GET shows the confirmation ("Set as Default", "Delete Dashboard"); POST acts."""

    template_name = "dashboards/confirm.html"
    title = submit = question = done = ""
    danger = False

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, submit=self.submit, danger=self.danger,
                                        question=self.question.format(name=self.dashboard.name), **kwargs)

    def act(self):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        try:
            target = self.act()
        except ValidationError as exc:
            _error(request, exc)
            return redirect(self.dashboard_url())
        messages.success(request, self.done.format(name=self.dashboard.name))
        return redirect(target)


class DashboardSetDefaultView(DashboardConfirmView):
    title = submit = "Set as Default"
    question = "Set {name} as your default dashboard? It opens when you sign in."
    done = "{name} is now your default dashboard."

    def act(self):
        services.set_default_dashboard(self.dashboard)
        return self.dashboard_url()


class DashboardDeleteView(DashboardConfirmView):
    title = submit = "Delete Dashboard"
    question = "Delete the dashboard {name} and its cards?"
    done = "Dashboard {name} deleted."
    danger = True

    def get(self, request, *args, **kwargs):
        if self.dashboard.is_default:
            messages.error(request, services.DEFAULT_UNDELETABLE)
            return redirect(self.dashboard_url())
        return super().get(request, *args, **kwargs)

    def act(self):
        services.delete_dashboard(self.dashboard)
        return reverse("dashboard")


class DashboardColumnsView(DashboardMixin, View):
    """Change View: the number of columns (1-4)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            services.set_columns(self.dashboard, request.POST.get("columns"))
        except ValidationError as exc:
            _error(request, exc)
        return redirect(self.dashboard_url())


class DashboardEditView(DashboardMixin, TemplateView):
    """Edit Cards: rename, hide/show, move, delete each card; Done returns to the dashboard."""

    template_name = "dashboards/edit.html"

    def get_context_data(self, **kwargs):
        cards = list(self.dashboard.cards.select_related("organization"))
        return super().get_context_data(cards=cards, last_index=len(cards) - 1, **kwargs)


class DashboardAddCardView(DashboardMixin, TemplateView):
    template_name = "dashboards/add_card.html"

    def get_context_data(self, **kwargs):
        available = services.available_card_types(self.request.user)
        organizations = {}
        for _kind, orgs in available:
            for org in orgs:
                organizations.setdefault(org.pk, org)
        kwargs.setdefault("form", {})
        return super().get_context_data(
            available=available, organizations=list(organizations.values()),
            home=self.request.user.organization_id, next=self.request.GET.get("next", ""), **kwargs)

    def post(self, request, *args, **kwargs):
        form = {key: request.POST.get(key, "") for key in ("card_type", "name", "organization", "next")}
        organization = None
        if form["organization"]:
            organization = next((org for org in services.access.visible_organizations(request.user)
                                 if str(org.pk) == form["organization"]), None)
            if organization is None:
                return self.render_to_response(
                    self.get_context_data(form=form, errors=["Select an organization you manage."]))
        try:
            card = services.add_card(self.dashboard, form["card_type"], form["name"], organization)
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(form=form, errors=exc.messages))
        messages.success(request, f"Card {card.name} added.")
        return self.back()


class CardActionView(DashboardMixin, View):
    http_method_names = ["post"]

    def act(self, request):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        try:
            self.act(request)
        except ValidationError as exc:
            _error(request, exc)
        return self.back(self.edit_url())


class CardRenameView(CardActionView):
    def act(self, request):
        services.rename_card(self.card, request.POST.get("name", ""))


class CardVisibilityView(CardActionView):
    def act(self, request):
        services.set_card_hidden(self.card, request.POST.get("hidden") in ("1", "true", "on"))


class CardMoveView(CardActionView):
    def act(self, request):
        direction = request.POST.get("direction")
        if direction == "up":
            position = self.card.position - 1
        elif direction == "down":
            position = self.card.position + 1
        else:
            position = request.POST.get("position")
        services.move_card(self.card, position)


class CardDeleteView(CardActionView):
    def act(self, request):
        services.remove_card(self.card)
        messages.success(request, f"Card {self.card.name} deleted.")


card = "dashboard/<int:dashboard_id>/cards/<int:card_id>/"
urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("dashboard/create/", DashboardCreateView.as_view(), name="dashboard-create"),
    path("dashboard/<int:dashboard_id>/", DashboardView.as_view(), name="dashboard-detail"),
    path("dashboard/<int:dashboard_id>/cards/", DashboardCardsView.as_view(), name="dashboard-cards"),
    path("dashboard/<int:dashboard_id>/default/", DashboardSetDefaultView.as_view(), name="dashboard-set-default"),
    path("dashboard/<int:dashboard_id>/rename/", DashboardRenameView.as_view(), name="dashboard-rename"),
    path("dashboard/<int:dashboard_id>/delete/", DashboardDeleteView.as_view(), name="dashboard-delete"),
    path("dashboard/<int:dashboard_id>/columns/", DashboardColumnsView.as_view(), name="dashboard-columns"),
    path("dashboard/<int:dashboard_id>/edit/", DashboardEditView.as_view(), name="dashboard-edit"),
    path("dashboard/<int:dashboard_id>/add-card/", DashboardAddCardView.as_view(), name="dashboard-add-card"),
    path(card + "rename/", CardRenameView.as_view(), name="dashboard-card-rename"),
    path(card + "visibility/", CardVisibilityView.as_view(), name="dashboard-card-visibility"),
    path(card + "move/", CardMoveView.as_view(), name="dashboard-card-move"),
    path(card + "delete/", CardDeleteView.as_view(), name="dashboard-card-delete"),
]
