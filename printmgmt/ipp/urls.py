"""/ipp/print (with and without the trailing slash: clients keep the URI they were given)."""
from django.urls import path

from .views import IppPrintView

app_name = "ipp"
urlpatterns = [
    path("ipp/print", IppPrintView.as_view(), name="print"),
    path("ipp/print/", IppPrintView.as_view(), name="print-slash"),
]
