"""Print quotas (E §1.4, TC-P1, TC-P2): definitions and the Default Quota, limits validation, precedence of
assignments, what a release may use (color inside the total), User Quota Status, the CSV export, a new month
starting at 0, and the pages and API behind the Print Release Management Administrator gate."""
import csv
import io
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from printmgmt.choices import AssignBy, QuotaStatus
from printmgmt.models import QuotaAssignment, QuotaDefinition, QuotaMonthLimit, QuotaUsage
from printmgmt.services import quotas
from printmgmt.services.org_settings import update_settings
from printmgmt.services.quotas import Allowance, QuotaRefused
from tests.conftest import make_user

NOW = timezone.make_aware(datetime(2026, 3, 14, 10, 0))


def limits(total="unlimited", total_limit=None, color="allow", color_limit=None, month=0):
    return {month: {"total": total, "total_limit": total_limit, "color": color, "color_limit": color_limit}}


@pytest.fixture
def enabled(acme):
    return update_settings(acme, quotas_enabled=True, quota_assign_by=AssignBy.COST_CENTER)


@pytest.fixture
def small(acme, enabled):
    """TC-P2: total 100, color 30."""
    return quotas.create_definition(acme, "Small", limits=limits("custom", 100, "custom", 30))


def personal(acme, user, definition):
    return quotas.assign_quota(acme, "personal", user.email, definition)


# --- definitions and limits ------------------------------------------------------------------------------------

def test_the_default_quota_is_created_on_first_use_unlimited_editable_and_not_deletable(acme, enabled):
    default = quotas.default_definition(acme)
    assert default.is_default and default.name == "Default Quota"
    assert quotas.default_definition(acme).pk == default.pk
    assert quotas.limit_for(default, 5).total == "unlimited"
    quotas.update_definition(default, name="Renamed", same_every_month=True, limits=limits("custom", 500))
    default.refresh_from_db()
    assert default.name == "Default Quota" and quotas.limit_for(default, 1).total_limit == 500
    with pytest.raises(ValidationError, match="cannot be deleted"):
        quotas.delete_definition(default)


@pytest.mark.parametrize("values,field", [
    (("custom", None), "total_limit"),                 # a custom total needs a number
    (("custom", 0), "total_limit"),                    # ... of at least 1
    (("custom", "12a"), "total_limit"),
    (("custom", 100, "custom", 101), "color_limit"),   # the color limit is part of the total
    (("custom", 100, "custom", None), "color_limit"),
    (("sometimes",), "total"),
    (("unlimited", None, "rainbow"), "color"),
])
def test_bad_limits_are_refused_on_their_field(values, field):
    with pytest.raises(ValidationError) as raised:
        quotas.clean_limits(*values)
    assert field in raised.value.message_dict


def test_disable_all_printing_is_a_total_of_zero_and_no_color():
    assert quotas.clean_limits("disabled", None, "custom", 30) == {
        "total": "disabled", "total_limit": None, "color": "disallow", "color_limit": None}


def test_names_are_unique_and_nothing_is_half_written(acme, small):
    with pytest.raises(ValidationError) as raised:
        quotas.create_definition(acme, "small", limits=limits("custom", 5))
    assert "name" in raised.value.message_dict
    with pytest.raises(ValidationError):
        quotas.create_definition(acme, "Default quota", limits=limits())
    with pytest.raises(ValidationError) as raised:
        quotas.create_definition(acme, "Broken", same_every_month=False,
                                 limits={**limits("custom", 10, month=1), **limits("custom", 0, month=2)})
    assert "February" in raised.value.message_dict["total_limit"][0]
    assert not QuotaDefinition.objects.filter(name="Broken").exists()
    with pytest.raises(ValidationError, match="Set Quota Limits"):
        quotas.create_definition(acme, "Empty", same_every_month=False, limits={})


def test_quotas_must_be_enabled_to_change_anything(acme, pam):
    with pytest.raises(ValidationError, match="not enabled"):
        quotas.create_definition(acme, "Small", limits=limits("custom", 10))
    # ... and while off, releases are unlimited but still counted
    quotas.check_release(pam, acme, pages=10_000, color=True)
    quotas.consume(pam, acme, pages=7, color=True, at=NOW)
    quota = quotas.allowance(pam, acme, at=NOW)
    assert quota.definition is None and quota.total_remaining is None and quota.total_used == 7


def test_custom_limits_for_each_month(acme, enabled, pam):
    definition = quotas.create_definition(acme, "Seasonal", same_every_month=False,
                                          limits={**limits("custom", 50, month=3), **limits("disabled", month=8)})
    personal(acme, pam, definition)
    assert quotas.allowance(pam, acme, at=NOW).total_limit == 50                         # March
    assert quotas.allowance(pam, acme, at=NOW.replace(month=8)).total_limit == 0        # August: disabled
    assert quotas.allowance(pam, acme, at=NOW.replace(month=4)).total_limit is None     # unset: unlimited
    with pytest.raises(ValidationError):
        quotas.update_definition(definition, same_every_month=True, limits={3: limits()[0]})


# --- arithmetic (TC-P2) ----------------------------------------------------------------------------------------

def test_color_limit_inside_the_total_tc_p2(acme, pam, small):
    personal(acme, pam, small)
    quotas.check_release(pam, acme, pages=30, color=True, at=NOW)
    quotas.consume(pam, acme, pages=30, color=True, at=NOW)
    with pytest.raises(QuotaRefused) as refused:
        quotas.check_release(pam, acme, pages=1, color=True, at=NOW)
    assert refused.value.code == "color_quota_exceeded" and "black and white" in str(refused.value)
    quotas.check_release(pam, acme, pages=70, color=False, at=NOW)        # mono continues
    quotas.consume(pam, acme, pages=70, color=False, at=NOW)
    with pytest.raises(QuotaRefused) as refused:
        quotas.check_release(pam, acme, pages=1, color=False, at=NOW)
    assert refused.value.code == "quota_exceeded"
    quota = quotas.allowance(pam, acme, at=NOW)
    assert (quota.total_used, quota.color_used, quota.total_remaining, quota.color_remaining) == (100, 30, 0, 0)


def test_a_job_larger_than_what_is_left_is_refused_whole(acme, pam, small):
    personal(acme, pam, small)
    quotas.consume(pam, acme, pages=90, color=False, at=NOW)
    # the color remainder is capped by the total: 10 left of both
    assert quotas.allowance(pam, acme, at=NOW).color_remaining == 10
    with pytest.raises(QuotaRefused, match="11 pages; your print quota has 10 pages left"):
        quotas.check_release(pam, acme, pages=11, color=True, at=NOW)
    quotas.check_release(pam, acme, pages=10, color=True, at=NOW)


def test_disabled_printing_and_disallowed_color(acme, enabled, pam, dan):
    off = quotas.create_definition(acme, "Off", limits=limits("disabled"))
    mono = quotas.create_definition(acme, "Mono only", limits=limits("unlimited", None, "disallow"))
    personal(acme, pam, off)
    personal(acme, dan, mono)
    with pytest.raises(QuotaRefused) as refused:
        quotas.check_release(pam, acme, pages=1, color=False)
    assert refused.value.code == "printing_disabled"
    with pytest.raises(QuotaRefused) as refused:
        quotas.check_release(dan, acme, pages=1, color=True)
    assert refused.value.code == "color_quota_exceeded"
    quotas.check_release(dan, acme, pages=5000, color=False)


def test_check_and_consume_inside_one_transaction(acme, pam, small):
    """What the release service does: check, print, count, all in its transaction (the usage row is locked)."""
    personal(acme, pam, small)
    with transaction.atomic():
        quotas.check_release(pam, acme, pages=4, color=True, at=NOW)
        quotas.consume(pam, acme, pages=4, color=True, at=NOW)
    row = QuotaUsage.objects.get(user=pam)
    assert (row.total_used, row.color_used, row.month.isoformat()) == (4, 4, "2026-03-01")


def test_a_new_month_starts_at_zero_without_any_reset(acme, pam, small):
    personal(acme, pam, small)
    quotas.consume(pam, acme, pages=100, color=False, at=NOW)
    with pytest.raises(QuotaRefused):
        quotas.check_release(pam, acme, pages=1, color=False, at=NOW)
    april = NOW.replace(month=4, day=1, hour=0, minute=5)
    assert quotas.allowance(pam, acme, at=april).total_remaining == 100
    quotas.check_release(pam, acme, pages=100, color=False, at=april)
    assert [r["status"] for r in _status(acme, at=april) if r["email"] == pam.email] == ["ok"]
    used = dict(QuotaUsage.objects.filter(user=pam).values_list("month__month", "total_used"))
    assert used[3] == 100 and used.get(4, 0) == 0               # March's row is history, April counts afresh


# --- precedence ------------------------------------------------------------------------------------------------

def test_personal_beats_cost_center_beats_default(acme, enabled, pam, dan):
    default = quotas.default_definition(acme)
    group = quotas.create_definition(acme, "Cost center 7", limits=limits("custom", 200))
    mine = quotas.create_definition(acme, "Pam's", limits=limits("custom", 300))
    assert quotas.allowance(pam, acme).definition == default
    quotas.assign_quota(acme, "cost_center", "cc-7", group)           # matched case-insensitively
    quota = quotas.allowance(pam, acme)
    assert (quota.definition, quota.kind) == (group, "cost_center")
    personal(acme, pam, mine)
    assert (quotas.allowance(pam, acme).definition, quotas.allowance(pam, acme).kind) == (mine, "personal")
    assert quotas.allowance(dan, acme).kind == "default"                 # no cost center


def test_department_assignments_count_only_when_quotas_are_assigned_by_department(acme, enabled, pam):
    sales = quotas.create_definition(acme, "Sales", limits=limits("custom", 40))
    with pytest.raises(ValidationError, match="not enabled"):
        quotas.assign_quota(acme, "department", "Sales", sales)
    update_settings(acme, quota_assign_by=AssignBy.DEPARTMENT)
    quotas.assign_quota(acme, "department", "Sales", sales)
    assert quotas.allowance(pam, acme).kind == "department"
    update_settings(acme, quota_assign_by=AssignBy.PERSONAL)
    assert quotas.allowance(pam, acme).kind == "default"


def test_assignment_targets_are_checked(acme, globex, enabled, small):
    with pytest.raises(ValidationError) as raised:
        quotas.assign_quota(acme, "cost_center", "CC-404", small)
    assert "must match a cost center found in Account Management" in raised.value.message_dict["target"][0]
    make_user(globex, "g@globex.test")
    with pytest.raises(ValidationError) as raised:
        quotas.assign_quota(acme, "personal", "g@globex.test", small)
    assert "target" in raised.value.message_dict
    other = QuotaDefinition.objects.create(organization=globex, name="Theirs")
    with pytest.raises(ValidationError) as raised:
        quotas.assign_quota(acme, "personal", "x@acme.test", other)
    assert "definition" in raised.value.message_dict


def test_deleting_a_definition_takes_its_assignments_and_users_fall_back(acme, pam, small):
    personal(acme, pam, small)
    assert quotas.delete_definition(small) == 1
    assert quotas.allowance(pam, acme).kind == "default" and not QuotaAssignment.objects.exists()


# --- User Quota Status (TC-P1) ---------------------------------------------------------------------------------

def _status(org, **filters):
    return [{"email": r.email, "status": r.status, "total": r.total_remaining, "color": r.color_remaining,
             "definition": r.definition, "type": r.kind_label} for r in quotas.user_quota_status(org, **filters)]


@pytest.mark.parametrize("used,color_used,expected", [
    (0, 0, QuotaStatus.OK),
    (500, 0, QuotaStatus.OK),            # 500 left of 1000, 200/200 color
    (900, 0, QuotaStatus.WARNING),       # 100 left of 1000 = 10%
    (899, 0, QuotaStatus.OK),            # 10.1%: above 10% is OK (no rounding)
    (1000, 0, QuotaStatus.EXCEEDED),     # 0 left
    (100, 180, QuotaStatus.WARNING),     # color 20 left of 200 = 10%
    (100, 200, QuotaStatus.EXCEEDED),    # color spent
])
def test_status_thresholds_tc_p1(used, color_used, expected):
    definition = QuotaDefinition(name="T")
    quota = Allowance(definition, "personal", 1000, 200, used, color_used)
    assert quotas.quota_status(quota) == expected


def test_unlimited_and_disallowed_color_are_ok_and_disabled_printing_is_exceeded():
    definition = QuotaDefinition(name="T")
    assert quotas.quota_status(Allowance(definition, "default", None, None, 10**6, 10**6)) == QuotaStatus.OK
    assert quotas.quota_status(Allowance(definition, "default", 100, 0, 5, 0)) == QuotaStatus.OK
    assert quotas.quota_status(Allowance(definition, "default", 0, 0, 0, 0)) == QuotaStatus.EXCEEDED
    assert quotas.quota_status(Allowance(None, "default", None, None, 0, 0)) == QuotaStatus.OK


def test_user_quota_status_rows_like_the_guides_sample(acme, enabled, pam, dan, ada):
    """TC-P1: a Default row (146 / 56 left) and a Personal row (160 / 81 left)."""
    default = quotas.default_definition(acme)
    quotas.update_definition(default, same_every_month=True, limits=limits("custom", 200, "custom", 100))
    test_quota = quotas.create_definition(acme, "quota_test_0809", limits=limits("custom", 200, "custom", 100))
    personal(acme, pam, test_quota)
    quotas.consume(dan, acme, pages=44, color=True)
    quotas.consume(dan, acme, pages=10, color=False)
    quotas.consume(pam, acme, pages=19, color=True)
    quotas.consume(pam, acme, pages=21, color=False)
    rows = {r["email"]: r for r in _status(acme)}
    assert rows["dan@acme.test"] == {"email": "dan@acme.test", "status": "ok", "total": 146, "color": 56,
                                     "definition": "Default Quota", "type": "Default"}
    assert rows["pam@acme.test"] == {"email": "pam@acme.test", "status": "ok", "total": 160, "color": 81,
                                     "definition": "quota_test_0809", "type": "Personal"}
    assert [r["email"] for r in _status(acme, kind="personal")] == ["pam@acme.test"]
    assert [r["email"] for r in _status(acme, definition=test_quota.pk)] == ["pam@acme.test"]
    quotas.consume(pam, acme, pages=75, color=True)            # 6 color left of 100: Warning
    assert [r["email"] for r in _status(acme, status="warning")] == ["pam@acme.test"]


def test_the_status_export_is_the_tables_csv(client, acme, enabled, ada, pam, small):
    personal(acme, pam, small)
    quotas.consume(pam, acme, pages=100, color=False)
    client.force_login(ada)
    response = client.get(reverse("printmgmt:quota-status-export", kwargs={"org_id": acme.pk}) + "?status=exceeded")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["User", "Status", "Total Quota Remaining", "Color Quota Remaining", "Quota Definition", "Type"]
    assert rows[1:] == [["pam@acme.test", "Exceeded", "0", "0", "Small", "Personal"]]


# --- pages -----------------------------------------------------------------------------------------------------

def url(name, org, **kwargs):
    return reverse(f"printmgmt:{name}", kwargs={"org_id": org.pk, **kwargs})


def test_pages_show_a_notice_while_quotas_are_off_and_refuse_changes(client, acme, ada):
    client.force_login(ada)
    for name in ("quota-definitions", "quota-assignments", "quota-status", "quota-definition-create"):
        page = client.get(url(name, acme))
        assert page.status_code == 200 and b'data-testid="quotas-disabled"' in page.content, name
        assert url("settings", acme).encode() in page.content
    response = client.post(url("quota-definition-create", acme), {"name": "X", "limits_mode": "same",
                                                                  "total": "unlimited", "color": "allow"})
    assert response.status_code == 302 and not QuotaDefinition.objects.filter(name="X").exists()
    assert b"nav-quota-definitions" not in client.get(url("settings", acme)).content


def test_create_edit_and_delete_a_definition_on_the_pages(client, acme, enabled, ada):
    client.force_login(ada)
    page = client.get(url("quota-definitions", acme)).content.decode()
    assert "Default Quota" in page and 'data-testid="nav-quota-status"' in page
    form = {"name": "Floor 2", "limits_mode": "same", "total": "custom", "total_limit": "100", "color": "custom",
            "color_limit": "150", "action": "save"}
    response = client.post(url("quota-definition-create", acme), form)
    assert response.status_code == 400 and "cannot be more than 100 pages" in response.content.decode()
    response = client.post(url("quota-definition-create", acme), {**form, "color_limit": "30"})
    assert response.status_code == 302
    definition = QuotaDefinition.objects.get(name="Floor 2")
    assert quotas.limit_for(definition, 6).color_limit == 30
    page = client.get(url("quota-definitions", acme)).content.decode()
    assert "100 pages" in page and "30 pages" in page
    response = client.post(url("quota-definition-edit", acme, quota_definition_id=definition.pk),
                           {**form, "name": "Floor 2b", "total": "disabled"})
    assert response.status_code == 302
    definition.refresh_from_db()
    assert definition.name == "Floor 2b" and quotas.limit_for(definition, 1).total == "disabled"
    default = QuotaDefinition.objects.get(is_default=True)
    assert client.post(url("quota-definition-delete", acme, quota_definition_id=default.pk)).status_code == 302
    assert QuotaDefinition.objects.filter(pk=default.pk).exists()
    client.post(url("quota-definition-delete", acme, quota_definition_id=definition.pk))
    assert not QuotaDefinition.objects.filter(pk=definition.pk).exists()


def test_custom_months_are_set_with_set_quota_limits(client, acme, enabled, ada):
    client.force_login(ada)
    create = url("quota-definition-create", acme)
    base = {"name": "School year", "limits_mode": "custom", "total": "custom", "total_limit": "20",
            "color": "allow"}
    response = client.post(create, {**base, "action": "set_limits"})
    assert response.status_code == 400 and "Select one or more months." in response.content.decode()
    response = client.post(create, {**base, "months": ["7", "8"], "action": "set_limits"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="month_7" value="custom:20:allow:"' in page and "Quota limits set for July, August." in page
    response = client.post(create, {**base, "months": ["1"], "total": "disabled", "action": "set_limits",
                                    "month_7": "custom:20:allow:", "month_8": "custom:20:allow:"})
    assert 'name="month_1" value="disabled::disallow:"' in response.content.decode()
    response = client.post(create, {**base, "action": "save", "month_1": "disabled::disallow:",
                                    "month_7": "custom:20:allow:", "month_8": "custom:20:allow:"})
    assert response.status_code == 302
    definition = QuotaDefinition.objects.get(name="School year")
    assert not definition.same_every_month
    assert sorted(QuotaMonthLimit.objects.filter(definition=definition).values_list("month", flat=True)) == [1, 7, 8]
    edit = client.get(url("quota-definition-edit", acme, quota_definition_id=definition.pk)).content.decode()
    assert 'name="month_8" value="custom:20:allow:"' in edit


def test_assign_and_remove_on_the_assignments_page(client, acme, enabled, ada, pam, small):
    client.force_login(ada)
    page = client.get(url("quota-assignments", acme)).content.decode()
    assert 'data-testid="quota-tab-cost_center"' in page and 'data-testid="quota-tab-personal"' in page
    assert 'data-testid="quota-tab-department"' not in page
    target = url("quota-assignments", acme)
    response = client.post(target, {"kind": "cost_center", "target": "Nowhere", "definition": small.pk})
    assert response.status_code == 400 and "must match a cost center" in response.content.decode()
    response = client.post(target, {"kind": "personal", "target": "pam@acme.test", "definition": small.pk})
    assert response.status_code == 302 and response["Location"].endswith("?tab=personal")
    row = QuotaAssignment.objects.get()
    page = client.get(target + "?tab=personal&q=pam").content.decode()
    assert "pam@acme.test" in page and "Small" in page
    assert "pam@acme.test" not in client.get(target + "?tab=personal&q=zed").content.decode()
    client.post(url("quota-assignments-remove", acme), {"assignment": [row.pk], "kind": "personal"})
    assert not QuotaAssignment.objects.exists()


def test_the_status_page_filters(client, acme, enabled, ada, pam, small):
    personal(acme, pam, small)
    client.force_login(ada)
    page = client.get(url("quota-status", acme) + "?type=personal").content.decode()
    assert 'data-email="pam@acme.test"' in page and 'data-email="ada@acme.test"' not in page
    page = client.get(url("quota-status", acme) + "?status=exceeded").content.decode()
    assert 'data-testid="quota-status-empty"' in page


def test_users_without_the_administrator_role_are_refused(client, acme, enabled, pam):
    client.force_login(pam)
    assert client.get(url("quota-status", acme)).status_code == 403
    assert client.get(f"/api/v1/organizations/{acme.pk}/print/quotas/status/").status_code == 403


# --- API -------------------------------------------------------------------------------------------------------

def api_base(org):
    return f"/api/v1/organizations/{org.pk}/print/quotas"


def test_the_api_creates_assigns_reports_and_deletes(client, acme, enabled, ada, pam):
    client.force_login(ada)
    body = {"name": "API quota", "limits": [{"total": "custom", "total_limit": 50, "color": "custom",
                                             "color_limit": 10}]}
    response = client.post(f"{api_base(acme)}/definitions/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    definition = response.json()
    assert definition["limits"][0]["month"] == 0 and definition["limits"][0]["color_limit"] == 10
    listing = client.get(f"{api_base(acme)}/definitions/").json()
    assert [d["name"] for d in listing["results"]] == ["Default Quota", "API quota"]
    response = client.post(f"{api_base(acme)}/assignments/",
                           {"kind": "personal", "target": "pam@acme.test", "definition": definition["id"]},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assignment = response.json()
    assert (assignment["target"], assignment["definition_name"]) == ("pam@acme.test", "API quota")
    quotas.consume(pam, acme, pages=10, color=True)
    rows = client.get(f"{api_base(acme)}/status/?type=personal").json()["results"]
    assert rows == [{"user": "pam@acme.test", "user_id": pam.pk, "status": "exceeded", "total_remaining": 40,
                     "color_remaining": 0, "color_allowed": True, "quota_definition": "API quota",
                     "quota_definition_id": definition["id"], "type": "personal"}]
    export = client.get(f"{api_base(acme)}/status/export/?status=exceeded")
    assert b"".join(export.streaming_content).decode("utf-8-sig").splitlines()[1].startswith("pam@acme.test,Exceeded")
    response = client.patch(f"{api_base(acme)}/definitions/{definition['id']}/", {"name": "Renamed"},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["limits"][0]["total_limit"] == 50
    assert client.delete(f"{api_base(acme)}/assignments/{assignment['id']}/").status_code == 204
    assert client.delete(f"{api_base(acme)}/definitions/{definition['id']}/").status_code == 204


def test_the_api_answers_bad_input_with_400(client, acme, enabled, ada):
    client.force_login(ada)
    definitions = f"{api_base(acme)}/definitions/"
    for body in ({"name": "X", "limits": [{"total": "custom"}]},
                 {"name": "X", "limits": [{"total": "custom", "total_limit": 5, "color": "custom", "color_limit": 6}]},
                 {"name": "X", "limits": [{"month": 13, "total": "unlimited"}]},
                 {"name": "", "limits": [{"total": "unlimited"}]},
                 {"name": "X", "same_every_month": False, "limits": [{"month": 0, "total": "unlimited"}]}):
        response = client.post(definitions, body, content_type="application/json")
        assert response.status_code == 400, body
    assert not QuotaDefinition.objects.filter(name="X").exists()
    default = client.get(definitions).json()["results"][0]
    assert client.delete(f"{definitions}{default['id']}/").status_code == 400
    assert client.get(f"{api_base(acme)}/status/?status=bad").status_code == 400
    response = client.post(f"{api_base(acme)}/assignments/", {"kind": "personal", "target": "nobody@acme.test",
                                                              "definition": default["id"]},
                           content_type="application/json")
    assert response.status_code == 400 and "target" in response.json()


def test_the_api_refuses_changes_while_quotas_are_off(client, acme, ada):
    client.force_login(ada)
    response = client.post(f"{api_base(acme)}/definitions/", {"name": "X", "limits": [{"total": "unlimited"}]},
                           content_type="application/json")
    assert response.status_code == 400 and "not enabled" in response.content.decode()


def test_user_quota_status_reads_a_constant_number_of_queries(acme, enabled, small, django_assert_max_num_queries):
    """No query per user: the assignments are read once and matched in memory."""
    def grow(count):
        for i in range(count):
            user = make_user(acme, f"bulk{grow.n}@acme.test", cost_center="CC-9" if i % 2 else "")
            grow.n += 1
            if i % 3 == 0:
                personal(acme, user, small)
    grow.n = 0
    grow(3)
    quotas.assign_quota(acme, "cost_center", "CC-9", small)
    quotas.user_quota_status(acme)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        rows = quotas.user_quota_status(acme)
    grow(12)
    with django_assert_max_num_queries(len(few)):
        many = quotas.user_quota_status(acme)
    assert len(many) == len(rows) + 12
    kinds = {row.email: row.kind for row in many}
    assert kinds["bulk0@acme.test"] == "personal" and kinds["bulk1@acme.test"] == "cost_center"
    assert kinds["bulk2@acme.test"] == "default"
