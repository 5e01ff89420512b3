"""Print Job History: the released jobs of the signed-in user (administrators and reporting analysts: anyone's,
filtered by user), within the organization's history window, filtered by dates."""
from django.core.paginator import Paginator
from django.http import Http404
from django.urls import path
from django.views.generic import TemplateView

from accounts.roles import Perm

from ..forms import HistoryFilterForm
from ..services.history import can_see_everyone, history_for
from ..services.org_settings import history_since
from .base import PAGE_SIZE, PrintViewMixin


class HistoryView(PrintViewMixin, TemplateView):
    template_name = "printmgmt/history.html"
    permission = (Perm.PRINT_USE, Perm.PRINT_ADMIN, Perm.PRINT_REPORTS)
    print_tab = "history"

    def get_context_data(self, **kwargs):
        form = HistoryFilterForm(self.request.GET or None)
        everyone = can_see_everyone(self.request.user, self.organization)
        filters, picked = {}, None
        if form.is_valid():
            filters = {"start": form.cleaned_data["start"], "end": form.cleaned_data["end"]}
            if everyone and form.cleaned_data["user"]:
                try:
                    picked = self.user_in_org(form.cleaned_data["user"], (Perm.PRINT_ADMIN, Perm.PRINT_REPORTS))
                except Http404:
                    form.add_error("user", "No user of the organization has this e-mail address.")
                    filters = None
        if filters is None:
            rows = []
            page = Paginator([], PAGE_SIZE).get_page(1)
        else:
            rows = history_for(self.request.user, self.organization, user=picked, **filters)
            page = Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(form=form, page=page, everyone=everyone, picked=picked,
                                        since=history_since(self.organization), query=query.urlencode(), **kwargs)


urlpatterns = [path("history/", HistoryView.as_view(), name="history")]
