"""URLconf of the integration API benchmark: the project's routes plus the baseline, a pre-rendered JSON
document (set by the benchmark to a real page's bytes) served behind the same token authentication."""
from django.http import HttpResponse
from django.urls import path
from rest_framework.views import APIView

from fleet.api.integration.authentication import IntegrationTokenAuthentication, IsIntegrationApplication
from lexcloud.urls import urlpatterns as project_urlpatterns

DOCUMENT = {"body": b"{}"}


class PrerenderedView(APIView):
    """The same authentication as the integration API, then bytes already rendered: the cost of serving a
    page of that size, without reading or serializing anything."""

    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [IsIntegrationApplication]
    throttle_classes: list = []

    def get(self, request):
        return HttpResponse(DOCUMENT["body"], content_type="application/json")


def bare_document(request):
    return HttpResponse(DOCUMENT["body"], content_type="application/json")


urlpatterns = [path("bench/prerendered/", PrerenderedView.as_view(), name="bench-prerendered"),
               path("bench/prerendered-bare/", bare_document, name="bench-prerendered-bare"),
               *project_urlpatterns]
