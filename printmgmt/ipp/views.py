"""/ipp/print: the IPP print service over HTTP. One URL for every organization: the credentials say who is
printing, and the job goes to that user's own organization's queue. Not a session route (no cookies, no CSRF:
print clients authenticate each request with HTTP Basic or a bearer print token)."""
import logging

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from agents.ipp import CONTENT_TYPE, IPP_VERSION, IppError, IppMessage, Status, encode_response, read_message

from . import auth, operations
from .body import Body

log = logging.getLogger(__name__)


def _host_port(request) -> tuple[str, int]:
    host = request.get_host()
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit() and not host.endswith("]"):
        return name, int(port)
    return host, 443 if request.is_secure() else 80


def printer_uri(request) -> str:
    """The URI the client reached, with its port: ipp:// and ipps:// default to port 631, the web server is
    on the HTTP(S) port."""
    host, port = _host_port(request)
    return f"{'ipps' if request.is_secure() else 'ipp'}://{host}:{port}{reverse('ipp:print')}"


def service_uris(request) -> dict[str, str]:
    """What the Print Clients page offers: ipps:// on the HTTPS port (recommended) and ipp:// on the port
    this page was served from when that is plain HTTP (development, or a trusted network)."""
    host, port = _host_port(request)
    path = reverse("ipp:print")
    secure_port = port if request.is_secure() else 443
    return {"ipps": f"ipps://{host}:{secure_port}{path}", "https": f"https://{host}:{secure_port}{path}",
            "ipp": f"ipp://{host}:{80 if request.is_secure() else port}{path}", "host": host}


def _ipp_response(answer: operations.Answer, request_id: int, version, body: Body | None) -> HttpResponse:
    payload = encode_response(answer.status, request_id, operations.response_groups(answer),
                              version=min(tuple(version), IPP_VERSION) if version else (1, 1))
    if body is not None and body.complete:
        return HttpResponse(payload, content_type=CONTENT_TYPE)
    # the rest of the request body was not read: a response without a length makes the server close the
    # connection, so the unread bytes are never taken for the next request
    return StreamingHttpResponse([payload], content_type=CONTENT_TYPE)


def _unauthorized() -> HttpResponse:
    response = StreamingHttpResponse(["Sign in with your e-mail address and password, or a print token.\n"],
                                     status=401, content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = auth.REALM
    return response


@method_decorator(csrf_exempt, name="dispatch")
class IppPrintView(View):
    http_method_names = ["get", "post"]

    def get(self, request):
        """A browser opening the URL learns what it is for."""
        return HttpResponse(format_html(
            "<!doctype html><title>lexcloud print</title><h1>lexcloud IPP print service</h1>"
            "<p>Add <code>{}</code> as a printer (IPP Everywhere) to print to your cloud print queue. "
            "Your organization's <em>Print Clients</em> page explains how.</p>", printer_uri(request)))

    def post(self, request):
        if request.content_type != CONTENT_TYPE:
            return HttpResponse("Send IPP requests (Content-Type: application/ipp).\n", status=415,
                                content_type="text/plain; charset=utf-8")
        try:
            credentials = auth.credentials_of(request)
        except ValueError:
            return _unauthorized()
        user = auth.authenticate(request, credentials) if credentials else None
        if credentials and user is None:
            return _unauthorized()
        body = Body(request)
        try:
            message = read_message(body)
        except IppError as error:
            answer = operations.Answer(error.status or Status.BAD_REQUEST, [], str(error))
            return _ipp_response(answer, 0, None, None)
        call = operations.Call(message=message, body=body, user=user, printer_uri=printer_uri(request),
                               secure=request.is_secure(), host=request.get_host(),
                               info_uri=request.build_absolute_uri("/"))
        try:
            answer = operations.dispatch(call)
        except operations.AuthenticationRequired:
            return _unauthorized()
        except operations.IppRefusal as refusal:
            answer = operations.refusal_answer(refusal)
        except IppError as error:                    # a malformed document stream (chunking)
            answer = operations.Answer(error.status or Status.BAD_REQUEST, [], str(error))
        body.drain()   # what a refused or document-less request still carries, within a bound
        _log(message, user, answer)
        return _ipp_response(answer, message.request_id, message.version, body)


def _log(message: IppMessage, user, answer: operations.Answer) -> None:
    log.info("ipp op=0x%04x user=%s status=0x%04x", message.code, getattr(user, "pk", None), answer.status)
