"""PINs API: /api/v1/organizations/{org_id}/pins/ (list, set or generate) and pins/{user_id}/ (status, delete)."""
from django.core import mail

from accounts.choices import PinGeneration
from accounts.models import UserPin
from accounts.services import printer_login as pins
from tests.conftest import make_user


def _url(org, user=None):
    base = f"/api/v1/organizations/{org.pk}/pins/"
    return f"{base}{user.pk}/" if user else base


def test_api_sets_a_pin_by_email_and_never_answers_it(client, org_admin, acme, member,
                                                      django_capture_on_commit_callbacks):
    client.force_login(org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(acme), {"email": "MEMBER@acme.test", "pin": "4711"},
                               content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["user_id"] == member.pk and "4711" not in response.content.decode()
    assert pins.pin_digest(acme, "4711") not in response.content.decode()
    assert pins.find_user_by_pin(acme, "4711") == member and "4711" in mail.outbox[0].body


def test_api_generates_a_pin_by_user_id(client, org_admin, acme, member, django_capture_on_commit_callbacks):
    client.force_login(org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(acme), {"user_id": member.pk}, content_type="application/json")
    assert response.status_code == 201 and response.json()["source"] == "system"
    assert len(mail.outbox) == 1


def test_api_answers_400_with_messages(client, org_admin, acme, member):
    client.force_login(org_admin)
    cases = [({}, "email"), ({"email": "nobody@acme.test", "pin": "4711"}, "email"),
             ({"user_id": member.pk, "pin": "123"}, "pin"), ({"user_id": member.pk, "pin": "1234567890123"}, "pin")]
    for body, field in cases:
        response = client.post(_url(acme), body, content_type="application/json")
        assert response.status_code == 400 and field in response.json(), (body, response.content)
    pins.set_pin(make_user(acme, "first@acme.test"), "4711")
    response = client.post(_url(acme), {"user_id": member.pk, "pin": "4711"}, content_type="application/json")
    assert response.json() == {"pin": ["This PIN cannot be used. Choose another PIN."]}
    assert not UserPin.objects.filter(user=member).exists()


def test_api_refuses_typed_pin_under_auto(client, org_admin, acme, member):
    pins.update_configuration(acme, pin_generation=PinGeneration.AUTO_EMAIL)
    client.force_login(org_admin)
    response = client.post(_url(acme), {"user_id": member.pk, "pin": "4711"}, content_type="application/json")
    assert response.status_code == 400


def test_api_user_of_another_organization_is_unknown(client, org_admin, acme, globex):
    stranger = make_user(globex, "x@globex.test")
    pins.set_pin(stranger, "4711")
    client.force_login(org_admin)
    response = client.post(_url(acme), {"user_id": stranger.pk}, content_type="application/json")
    assert response.status_code == 400
    assert client.get(_url(acme, stranger)).status_code == 404
    assert client.delete(_url(acme, stranger)).status_code == 404
    assert UserPin.objects.filter(user=stranger).exists()


def test_api_lists_and_deletes(client, org_admin, acme, member):
    pins.set_pin(member, "4711")
    client.force_login(org_admin)
    rows = client.get(_url(acme)).json()["results"]
    assert [(r["email"], r["expired"]) for r in rows] == [("member@acme.test", False)]
    assert client.get(_url(acme, member)).json()["has_pin"] is True
    assert client.delete(_url(acme, member)).status_code == 204
    assert client.get(_url(acme, member)).json() == {"user_id": member.pk, "email": member.email,
                                                      "has_pin": False, "pin": None}


def test_api_user_administrator_cannot_touch_an_organization_administrators_pin(client, acme, org_admin):
    pins.set_pin(org_admin, "4711")
    client.force_login(make_user(acme, "ua@acme.test", ["user_administrator"]))
    response = client.post(_url(acme), {"user_id": org_admin.pk, "pin": "4712"}, content_type="application/json")
    assert response.status_code == 400 and "more rights" in str(response.json())
    assert client.delete(_url(acme, org_admin)).status_code == 400
    assert pins.check_user_pin(org_admin, "4711")


def test_api_help_desk_reads_but_cannot_write(client, acme, member):
    client.force_login(make_user(acme, "hd@acme.test", ["help_desk"]))
    assert client.get(_url(acme)).status_code == 200
    assert client.post(_url(acme), {"user_id": member.pk}, content_type="application/json").status_code == 403
    assert client.delete(_url(acme, member)).status_code == 403


def test_api_list_query_count_does_not_grow(client, org_admin, acme, django_assert_max_num_queries):
    client.force_login(org_admin)
    for n in range(3):
        pins.set_pin(make_user(acme, f"a{n}@acme.test"), f"100{n}")
    client.get(_url(acme))
    with django_assert_max_num_queries(20) as few:
        client.get(_url(acme))
    for n in range(3, 30):
        pins.set_pin(make_user(acme, f"a{n}@acme.test"), f"10{n:02d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(_url(acme)).json()["count"] == 30
