"""URLconf of the benchmarks: the project's routes plus a trivial authenticated DRF endpoint (the baseline)."""
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from lexcloud.urls import urlpatterns as project_urlpatterns


class TrivialView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/trivial/", TrivialView.as_view(), name="bench-trivial"), *project_urlpatterns]
