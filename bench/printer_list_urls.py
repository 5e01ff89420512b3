"""URLconf of bench_printer_list.py: bench/urls.py plus an empty page in the Fleet Management shell (the fixed
cost of any portal page: session, gate, navigation, menus), a second baseline for the Printers page."""
from django.template import engines
from django.urls import path
from django.views import View

from accounts.gate import OrgViewMixin
from accounts.roles import Perm
from bench.urls import urlpatterns as bench_urlpatterns

EMPTY = '{% extends "fleet/base_fleet.html" %}{% block content %}<h1>Empty</h1>{% endblock %}'


class EmptyShellPage(OrgViewMixin, View):
    permission = Perm.FLEET_VIEW

    def get(self, request, org_id):
        from django.http import HttpResponse

        template = engines["django"].from_string(EMPTY)
        return HttpResponse(template.render({"organization": self.organization}, request))


urlpatterns = [path("bench/o/<uuid:org_id>/empty/", EmptyShellPage.as_view(), name="bench-empty-shell"),
               *bench_urlpatterns]
