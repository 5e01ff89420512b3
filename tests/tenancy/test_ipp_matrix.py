"""The tenancy matrix of the IPP print service (routes under ipp/, authenticated per request by HTTP Basic
or a print token, never by a session).

For every route (walked from the URL resolver, so a new one fails until it is listed here):
- no credentials → HTTP 401 with `WWW-Authenticate: Basic realm="lexcloud print"` for every job operation;
  Get-Printer-Attributes answers (static capabilities, nothing of any organization);
- wrong password, unknown or revoked token, malformed header → 401; a user without the print user role →
  client-error-not-authorized, whatever the credentials;
- a user of organization B (password or token) never sees, reads nor cancels a job of organization A, and
  the jobs B prints land in B's queue only. Jobs are per user: a colleague of A does not see them either.
"""
import base64

import pytest
from django.urls import get_resolver, reverse

from agents.ipp import Op, Status, Tag, decode_message, encode_request, operation_attributes
from printmgmt.models import PrintJob
from printmgmt.services import print_tokens
from tests.conftest import PASSWORD, make_user
from tests.printmgmt.documents import pdf_bytes
from tests.tenancy.test_matrix import _walk

PREFIX = "ipp/"
JOB_OPERATIONS = [Op.PRINT_JOB, Op.VALIDATE_JOB, Op.GET_JOBS, Op.GET_JOB_ATTRIBUTES, Op.CANCEL_JOB]


IPP_ROUTES = sorted({name: route for name, route, _pattern in _walk(get_resolver().url_patterns)
                     if route.startswith(PREFIX)}.items())
KNOWN = {"ipp:print", "ipp:print-slash"}


def basic(email, secret=PASSWORD):
    return "Basic " + base64.b64encode(f"{email}:{secret}".encode()).decode()


def call(client, operation, *, url=None, auth=None, attributes=(), job=(), data=b""):
    """POST one IPP request; returns (HTTP response, decoded IPP message or None)."""
    groups = [(Tag.OPERATION, [*operation_attributes(), (Tag.URI, "printer-uri", "ipp://testserver/ipp/print"),
                               *attributes])]
    if job:
        groups.append((Tag.JOB, list(job)))
    headers = {"Authorization": auth} if auth else {}
    response = client.post(url or reverse("ipp:print"), encode_request(operation, 42, groups, data),
                           content_type="application/ipp", headers=headers)
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    message = decode_message(raw) if response.status_code == 200 else None
    return response, message


def print_pdf(client, auth, name="matrix.pdf"):
    return call(client, Op.PRINT_JOB, auth=auth, data=pdf_bytes(1),
                attributes=[(Tag.NAME, "job-name", name), (Tag.MIME_MEDIA_TYPE, "document-format", "application/pdf")])


@pytest.fixture
def world(acme, globex):
    alice = make_user(acme, "alice@acme.test", ["print_release_management_user"])
    colleague = make_user(acme, "colleague@acme.test", ["print_release_management_user"])
    bob = make_user(globex, "bob@globex.test", ["print_release_management_user"])
    return {"alice": alice, "colleague": colleague, "bob": bob}


@pytest.fixture
def alice_job(world, client):
    response, message = print_pdf(client, basic("alice@acme.test"))
    assert message.code == Status.OK, message.status_message
    return PrintJob.objects.get(pk=message.get("job-id", Tag.JOB))


def test_every_ipp_route_is_in_the_matrix():
    assert IPP_ROUTES, "no ipp/ routes found"
    assert {name for name, _route in IPP_ROUTES} == KNOWN, "new ipp/ routes: add them to this matrix"


@pytest.mark.parametrize("name,route", IPP_ROUTES, ids=[n for n, _r in IPP_ROUTES])
@pytest.mark.parametrize("operation", JOB_OPERATIONS, ids=[hex(o) for o in JOB_OPERATIONS])
def test_anonymous_job_operations_are_challenged(name, route, operation, world, client):
    response, _message = call(client, operation, url=reverse(name), attributes=[(Tag.INTEGER, "job-id", 1)])
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="lexcloud print"'
    assert not PrintJob.objects.exists()


@pytest.mark.parametrize("name,route", IPP_ROUTES, ids=[n for n, _r in IPP_ROUTES])
def test_printer_attributes_answer_anonymously_with_nothing_of_an_organization(name, route, world, alice_job,
                                                                                client):
    response, message = call(client, Op.GET_PRINTER_ATTRIBUTES, url=reverse(name))
    assert response.status_code == 200 and message.code == Status.OK
    assert message.get("queued-job-count", Tag.PRINTER) == 0
    assert "Acme" not in str(message.groups)


@pytest.mark.parametrize("auth", [basic("alice@acme.test", "wrong"), basic("nobody@acme.test"),
                                  "Bearer lxp_forged-token-value", basic("alice@acme.test", "lxp_forged-token"),
                                  "Basic !!!", "Digest username=alice", "Bearer "])
def test_bad_credentials_are_refused(auth, world, client):
    for operation in (Op.GET_JOBS, Op.GET_PRINTER_ATTRIBUTES):
        response, _message = call(client, operation, auth=auth)
        assert response.status_code == 401, auth
        assert response["WWW-Authenticate"].startswith("Basic")


def test_another_organizations_user_never_reaches_the_job(world, alice_job, client):
    _token, bob_token = print_tokens.create_token(world["bob"], "Bob's laptop")
    for auth in (basic("bob@globex.test"), f"Bearer {bob_token}", basic("x", bob_token)):
        _response, jobs = call(client, Op.GET_JOBS, auth=auth,
                               attributes=[(Tag.KEYWORD, "which-jobs", "not-completed"), (Tag.BOOLEAN, "my-jobs", False)])
        assert jobs.code == Status.OK and not jobs.groups_of(Tag.JOB)
        for operation in (Op.GET_JOB_ATTRIBUTES, Op.CANCEL_JOB):
            _response, answer = call(client, operation, auth=auth, attributes=[(Tag.INTEGER, "job-id", alice_job.pk)])
            assert answer.code == Status.NOT_FOUND and not answer.groups_of(Tag.JOB)
        _response, answer = call(client, Op.CANCEL_JOB, auth=auth,
                                 attributes=[(Tag.URI, "job-uri", f"ipp://testserver/ipp/print/{alice_job.pk}")])
        assert answer.code == Status.NOT_FOUND
    assert PrintJob.objects.filter(pk=alice_job.pk).exists()


def test_jobs_are_the_users_own_even_within_the_organization(world, alice_job, client):
    _response, jobs = call(client, Op.GET_JOBS, auth=basic("colleague@acme.test"))
    assert not jobs.groups_of(Tag.JOB)
    _response, answer = call(client, Op.CANCEL_JOB, auth=basic("colleague@acme.test"),
                             attributes=[(Tag.INTEGER, "job-id", alice_job.pk)])
    assert answer.code == Status.NOT_FOUND
    _response, mine = call(client, Op.GET_JOBS, auth=basic("alice@acme.test"))
    assert [g.get("job-id").value for g in mine.groups_of(Tag.JOB)] == [alice_job.pk]


def test_a_token_of_organization_b_prints_into_b_only(world, acme, globex, client):
    _token, secret = print_tokens.create_token(world["bob"], "Bob's laptop")
    for auth in (f"Bearer {secret}", basic("alice@acme.test", secret)):   # the user name does not matter
        _response, answer = print_pdf(client, auth)
        assert answer.code == Status.OK
        job = PrintJob.objects.get(pk=answer.get("job-id", Tag.JOB))
        assert (job.organization_id, job.owner_id) == (globex.pk, world["bob"].pk)
    assert not PrintJob.objects.filter(organization=acme).exists()


def test_revoked_tokens_and_lost_roles_stop_working(world, client):
    from accounts.services import roles as role_services

    token, secret = print_tokens.create_token(world["alice"], "Laptop")
    assert call(client, Op.GET_JOBS, auth=f"Bearer {secret}")[0].status_code == 200
    print_tokens.revoke_tokens(world["alice"], [token.pk])
    assert call(client, Op.GET_JOBS, auth=f"Bearer {secret}")[0].status_code == 401

    _token, secret = print_tokens.create_token(world["colleague"], "Desktop")
    role_services.remove_user_roles(world["colleague"], ["print_release_management_user"])
    world["colleague"].refresh_from_db()
    assert call(client, Op.GET_JOBS, auth=f"Bearer {secret}")[0].status_code == 401
    # the password still names the user, who may not print: not-authorized, nothing queued
    _response, answer = print_pdf(client, basic("colleague@acme.test"))
    assert answer.code == Status.NOT_AUTHORIZED
    assert not PrintJob.objects.exists()


def test_inactive_users_and_guests_cannot_print(world, acme, client):
    guest = make_user(acme, "guest@acme.test", ["print_release_management_user"])
    guest.is_guest = True
    guest.save(update_fields=["is_guest"])
    assert print_pdf(client, basic("guest@acme.test"))[0].status_code == 401   # guests never sign in
    alice = world["alice"]
    _token, secret = print_tokens.create_token(alice, "Laptop")
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    for auth in (basic("alice@acme.test"), f"Bearer {secret}"):
        assert print_pdf(client, auth)[0].status_code == 401
    assert not PrintJob.objects.exists()


def test_the_url_is_not_a_session_route(world, client):
    """A signed-in browser session is no credential for IPP; a browser GET gets a hint."""
    client.force_login(world["alice"])
    assert call(client, Op.GET_JOBS)[0].status_code == 401
    page = client.get(reverse("ipp:print"))
    assert page.status_code == 200 and b"ipp://testserver:80/ipp/print" in page.content
    other = client.post(reverse("ipp:print"), b"x", content_type="text/plain")
    assert other.status_code == 415
