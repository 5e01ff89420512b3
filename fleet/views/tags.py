"""Tags pages (Manage tags, Create tag, edit a tag, Tag printers using file import) and the Printers page's
bulk printer actions: Tags > Apply, Printer > Refresh printer information, Send notification to panel, Clear
notification, Update agent access credentials, Unenroll printers. The toolbar (templates/fleet/printers/
_actions.html) and the details page post the selected printers as repeated `printer` values, with `next`, the
page to come back to."""
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from accounts.access import effective_permissions
from accounts.gate import OrgViewMixin
from accounts.roles import Perm
from lexcloud.ids import parse_ids

from .. import selectors
from ..choices import AgentType, PanelMessage
from ..models import Printer, Tag
from ..services import printers as printer_services
from ..services import tags as tag_services
from .printer_detail import optional_url


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class FleetActionMixin(OrgViewMixin):
    """Where a form goes back to: its `next` when it is a page of this site, else the Printers page (or the
    Manage tags page while the Printers page does not exist)."""

    def back(self) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, {self.request.get_host()},
                                                      require_https=self.request.is_secure()):
            return target
        return (optional_url("fleet:printers", org_id=self.organization.pk)
                or reverse("fleet:tags", kwargs={"org_id": self.organization.pk}))

    def get_context_data(self, **kwargs):
        return super().get_context_data(fleet_tab="printers", next_url=self.back(), **kwargs)


# --------------------------------------------------------------------------------------------- bulk actions
class PrinterActionView(FleetActionMixin, View):
    """A bulk action on the selected printers (`printer` values, or `select_all` with the listing's `query`);
    ids of other organizations and unenrolled printers are ignored. Subclasses implement act(printers) -> message."""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]

    def selected(self) -> list[Printer]:
        """The ticked printers, or with "Select all N matching printers" every printer the listing's filters
        (`select_all`, `query`) match (fleet.selectors.selected_printers)."""
        printers = selectors.selected_printers(self.request.user, self.organization, self.request.POST)
        return list(printers.select_related("agent", "printer_model").order_by("pk"))

    def post(self, request, org_id):
        printers = self.selected()
        if not printers:
            messages.error(request, "Select one or more printers.")
            return redirect(self.back())
        try:
            message = self.act(printers)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, message)
        return redirect(self.back())

    def act(self, printers) -> str:
        raise NotImplementedError


def _task_note(task, unsupported: int = 0, what: str = "") -> str:
    note = f" Task {task.pk} created."
    if unsupported:
        note += f" {_plural(unsupported, 'printer')} do not support {what}: their jobs are “Not supported”."
    return note


class ApplyTagsView(PrinterActionView):
    """Tags > **Apply**: the ticked tags (`tag`) are assigned to the selected printers, the cleared ones
    (`untag`) removed."""

    def act(self, printers):
        assign, remove = parse_ids(self.request.POST.getlist("tag")), parse_ids(self.request.POST.getlist("untag"))
        changed = tag_services.apply_tags(self.organization, printers, assign=assign, remove=remove)
        return f"Tags applied to {_plural(changed, 'printer')}."


class RefreshPrintersView(PrinterActionView):
    def act(self, printers):
        task = printer_services.refresh_printers(self.organization, printers, user=self.request.user)
        return f"Refresh printer information requested for {_plural(len(printers), 'printer')}." + _task_note(task)


def _unsupported(printers) -> int:
    return sum(not printer_services.panel_notifications_supported(p) for p in printers)


class SendNotificationView(PrinterActionView):
    """Printer > **Send notification to panel** (also the details page's Notifications)."""

    def act(self, printers):
        message = self.request.POST.get("message", "")
        task = printer_services.send_panel_notification(self.organization, printers, message,
                                                        user=self.request.user)
        return (f"“{PanelMessage(message).label}” sent to {_plural(len(printers), 'printer')}."
                + _task_note(task, _unsupported(printers), "control-panel notifications"))


class ClearNotificationView(PrinterActionView):
    def act(self, printers):
        task = printer_services.clear_panel_notification(self.organization, printers, user=self.request.user)
        return (f"Notification cleared on {_plural(len(printers), 'printer')}."
                + _task_note(task, _unsupported(printers), "control-panel notifications"))


class UpdateCredentialsView(PrinterActionView):
    """Printer > **Update agent access credentials** ("only applicable for Fleet Agent")."""

    def act(self, printers):
        post = self.request.POST
        task = printer_services.update_access_credentials(
            self.organization, printers, post.get("auth_type", ""),
            {name: post.get(name, "") for name in ("username", "password", "pin")}, user=self.request.user)
        others = sum(p.agent_type != AgentType.FLEET for p in printers)
        return (f"Agent access credentials updated for {_plural(len(printers) - others, 'printer')}."
                + _task_note(task, others, "this (Fleet Agent printers only)"))


class UnenrollPrintersView(PrinterActionView):
    """Printer > **Unenroll printers** (and the details page's Unenroll): "Unenrolling of printers cannot be
    stopped." The printers leave the listing until an agent enrolls them again."""

    def act(self, printers):
        task = printer_services.unenroll_printers(self.organization, printers, user=self.request.user)
        return f"{_plural(len(printers), 'printer')} unenrolled." + _task_note(task)


# --------------------------------------------------------------------------------------------- tags pages
class TagForm(forms.Form):
    name = forms.CharField(label="Tag name", max_length=Tag._meta.get_field("name").max_length)


class TagListView(FleetActionMixin, TemplateView):
    """**Tags > Manage tags**: select tags and **Delete**, or click a name to rename it."""

    template_name = "fleet/tags/list.html"
    permission = Perm.FLEET_VIEW

    def get_context_data(self, **kwargs):
        tags = (Tag.objects.for_user(self.request.user, Perm.FLEET_VIEW, organization=self.organization)
                .annotate(printer_count=Count("printers", filter=Q(printers__unenrolled_at__isnull=True)))
                .order_by("name"))
        can_manage = Perm.FLEET_MANAGE in effective_permissions(self.request.user, self.organization)
        return super().get_context_data(tags=tags, can_manage=can_manage, form=TagForm(), **kwargs)


class TagCreateView(FleetActionMixin, TemplateView):
    """**Tags > Create tag**: "Type a unique tag name", **Save**."""

    template_name = "fleet/tags/form.html"
    permission = Perm.FLEET_MANAGE

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", TagForm())
        return super().get_context_data(heading="Create tag", **kwargs)

    def post(self, request, org_id):
        form = TagForm(request.POST)
        if form.is_valid():
            try:
                tag = tag_services.create_tag(self.organization, form.cleaned_data["name"])
            except ValidationError as error:
                form.add_error("name", error.message_dict["name"])
            else:
                messages.success(request, f"Tag “{tag.name}” created.")
                return redirect(self.back())
        return self.render_to_response(self.get_context_data(form=form))


class TagEditView(FleetActionMixin, TemplateView):
    """Manage tags > click a tag: edit its name, **Save**."""

    template_name = "fleet/tags/form.html"
    permission = Perm.FLEET_MANAGE

    def get_tag(self) -> Tag:
        tags = Tag.objects.for_user(self.request.user, Perm.FLEET_MANAGE, organization=self.organization)
        return get_object_or_404(tags, pk=self.kwargs["tag_id"])

    def get_context_data(self, **kwargs):
        tag = self.get_tag()
        kwargs.setdefault("form", TagForm(initial={"name": tag.name}))
        return super().get_context_data(tag=tag, heading="Edit tag", **kwargs)

    def post(self, request, org_id, tag_id):
        tag, form = self.get_tag(), TagForm(request.POST)
        if form.is_valid():
            try:
                tag_services.rename_tag(tag, form.cleaned_data["name"])
            except ValidationError as error:
                form.add_error("name", error.message_dict["name"])
            else:
                messages.success(request, f"Tag renamed to “{tag.name}”.")
                return redirect("fleet:tags", org_id=org_id)
        return self.render_to_response(self.get_context_data(form=form))


class TagDeleteView(OrgViewMixin, View):
    """Manage tags > **Delete** the selected tags (`tag` values)."""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id):
        ids = parse_ids(request.POST.getlist("tag"))
        deleted = tag_services.delete_tags(self.organization, ids) if ids else 0
        if deleted:
            messages.success(request, f"{_plural(deleted, 'tag')} deleted.")
        else:
            messages.error(request, "Select one or more tags to delete.")
        return redirect("fleet:tags", org_id=org_id)


class TagImportView(FleetActionMixin, TemplateView):
    """**Tags > Tag printers using file import**: tags, a TXT/CSV file of IP addresses or serial numbers,
    **Tag Printers**. The Tag Printers Results Summary appears only when some listed printers are not in the
    organization."""

    template_name = "fleet/tags/import.html"
    permission = Perm.FLEET_MANAGE

    def get_context_data(self, **kwargs):
        tags = Tag.objects.for_user(self.request.user, Perm.FLEET_MANAGE, organization=self.organization)
        chosen = set(parse_ids(self.request.POST.getlist("tag"))) if self.request.method == "POST" else set()
        return super().get_context_data(tags=[{"tag": t, "checked": t.pk in chosen} for t in tags.order_by("name")],
                                        max_kb=tag_services.MAX_IMPORT_BYTES // 1024, **kwargs)

    def post(self, request, org_id):
        upload = request.FILES.get("file")
        if upload is None:
            return self.render_to_response(self.get_context_data(errors=["Choose a TXT or CSV file."]))
        try:
            result = tag_services.import_tags(self.organization, parse_ids(request.POST.getlist("tag")), upload)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(errors=error.messages))
        if result.summary_needed:
            return self.render_to_response(self.get_context_data(result=result))
        messages.success(request, f"{_plural(result.tagged, 'printer')} tagged.")
        return redirect(self.back())


urlpatterns = [
    path("tags/", TagListView.as_view(), name="tags"),
    path("tags/create/", TagCreateView.as_view(), name="tag-create"),
    path("tags/delete/", TagDeleteView.as_view(), name="tags-delete"),
    path("tags/import/", TagImportView.as_view(), name="tags-import"),
    path("tags/<int:tag_id>/", TagEditView.as_view(), name="tag"),
    path("printers/bulk/tags/", ApplyTagsView.as_view(), name="printers-tags"),
    path("printers/bulk/refresh/", RefreshPrintersView.as_view(), name="printers-refresh"),
    path("printers/bulk/notify/", SendNotificationView.as_view(), name="printers-notify"),
    path("printers/bulk/clear-notification/", ClearNotificationView.as_view(), name="printers-clear-notification"),
    path("printers/bulk/credentials/", UpdateCredentialsView.as_view(), name="printers-credentials"),
    path("printers/bulk/unenroll/", UnenrollPrintersView.as_view(), name="printers-unenroll"),
]
