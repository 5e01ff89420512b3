"""URLconf of the benchmarks: the project's routes plus a trivial authenticated DRF endpoint (the baseline)."""
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.device import DeviceTokenAuthentication, IsDeviceApplication
from lexcloud.urls import urlpatterns as project_urlpatterns


class TrivialView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


class TrivialDeviceView(APIView):
    """The device API's baseline: authenticated with the same application token, does nothing else."""

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDeviceApplication]

    def post(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/trivial/", TrivialView.as_view(), name="bench-trivial"),
               path("bench/device-trivial/", TrivialDeviceView.as_view(), name="bench-device-trivial"),
               *project_urlpatterns]
