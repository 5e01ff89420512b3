"""Print policies (E §1.5): the Default Print Policy, create / edit / duplicate / delete, the days and times,
assignments (user beats group beats default), what `decide` tells the printer (the guide's TC-P3..TC-P6), the
pages and the API, and bad input refused with nothing half-written."""
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from printmgmt.choices import AssignBy, ColorMode, DuplexScope, JobSource, PolicyDays, TwoSided
from printmgmt.models import PrintJob, PrintPolicy, PrintPolicyAssignment, PrintPolicyWindow
from printmgmt.services import policies as policy_services
from printmgmt.services.org_settings import update_settings
from tests.conftest import make_user

# A week whose Monday is 2024-09-02.
MON, THU, FRI, SAT, SUN = (datetime(2024, 9, d) for d in (2, 5, 6, 7, 8))


def at(day: datetime, hh: int, mm: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm)


@pytest.fixture
def enabled(acme):
    return update_settings(acme, policies_enabled=True, policy_assign_by=AssignBy.DEPARTMENT)


def job(user, *, source=JobSource.CLIENT, pages=1, copies=1, color=True, color_mode=ColorMode.COLOR,
        two_sided=TwoSided.OFF) -> PrintJob:
    """A job as the release sees it (decide only reads it)."""
    return PrintJob(organization=user.organization, owner=user, source=source, pages=pages, copies=copies,
                    color=color, color_mode=color_mode, two_sided=two_sided)


def create(org, **values):
    values.setdefault("name", "Policy")
    return policy_services.create_policy(org, **values)


# --- the Default Print Policy ------------------------------------------------------------------------------

def test_the_default_print_policy_exists_on_first_use_forces_nothing_and_cannot_be_deleted(acme, pam, enabled):
    assert not PrintPolicy.objects.exists()
    default = policy_services.policy_for(pam, acme)
    assert default.is_default and default.name == "Default Print Policy"
    assert not (default.force_mono or default.force_duplex or default.limit_times)
    decision = policy_services.decide(pam, acme, job(pam, pages=10))
    assert decision.allowed and decision.color_mode == ColorMode.COLOR and decision.changed == ()
    assert decision.policy == default
    with pytest.raises(ValidationError, match="cannot be deleted"):
        policy_services.delete_policy(default)
    edited = policy_services.update_policy(default, force_mono=True)
    assert edited.is_default and edited.force_mono
    assert policy_services.decide(pam, acme, job(pam)).color_mode == ColorMode.MONO
    assert PrintPolicy.objects.filter(organization=acme).count() == 1


def test_policies_off_nothing_applies_and_nothing_can_be_changed(acme, pam):
    assert policy_services.policy_for(pam, acme) is None
    decision = policy_services.decide(pam, acme, job(pam, two_sided=TwoSided.OFF))
    assert decision == policy_services.PolicyDecision(True, "", ColorMode.COLOR, TwoSided.OFF, (), None)
    with pytest.raises(ValidationError, match="not enabled"):
        create(acme, force_mono=True)
    assert not PrintPolicy.objects.exists()


# --- decide: the guide's examples ---------------------------------------------------------------------------

def test_tc_p3_page_counts_are_the_documents_not_multiplied_by_copies(acme, pam, enabled):
    policy_services.update_policy(policy_services.default_policy(acme), force_mono=True, mono_min_pages=3)
    two_pages_two_copies = policy_services.decide(pam, acme, job(pam, pages=2, copies=2))
    assert two_pages_two_copies.color_mode == ColorMode.COLOR and two_pages_two_copies.changed == ()
    three_pages = policy_services.decide(pam, acme, job(pam, pages=3))
    assert three_pages.color_mode == ColorMode.MONO and three_pages.changed == ("color_mode",)


def test_tc_p4_web_uploads_count_as_color_and_one_sided(acme, pam, enabled):
    create(acme, name="Mono duplex", force_mono=True, force_duplex=True, duplex_binding="short_edge")
    policy_services.assign_policy(acme, PrintPolicy.objects.get(name="Mono duplex"), "personal", [pam.email])
    # the document has no color and the user asked for long edge: uploaded in the portal, it is still forced
    web = job(pam, source=JobSource.WEB, color=False, two_sided=TwoSided.LONG_EDGE)
    decision = policy_services.decide(pam, acme, web)
    assert (decision.color_mode, decision.two_sided) == (ColorMode.MONO, TwoSided.SHORT_EDGE)
    assert decision.changed == ("color_mode", "two_sided")
    # the same job from the print client is taken as it is: already mono content, already two-sided
    client = job(pam, source=JobSource.CLIENT, color=False, two_sided=TwoSided.LONG_EDGE)
    decision = policy_services.decide(pam, acme, client)
    assert (decision.color_mode, decision.two_sided, decision.changed) == (ColorMode.COLOR, TwoSided.LONG_EDGE, ())


def test_tc_p5_an_end_time_past_midnight_ends_the_next_day(acme, pam, enabled):
    policy_services.update_policy(policy_services.default_policy(acme), limit_times=True,
                                  days=PolicyDays.WEEKDAYS, start=time(20), end=time(2))
    assert PrintPolicyWindow.objects.count() == 5

    def allowed(when):
        return policy_services.decide(pam, acme, job(pam), local_time=when).allowed

    assert allowed(at(FRI, 1, 30))          # from Thursday's window
    assert allowed(at(SAT, 1, 30))          # from Friday's window
    assert not allowed(at(SAT, 20, 30))     # no window on Saturday
    assert not allowed(at(MON, 1, 30))      # Sunday has none to run into Monday
    assert allowed(at(MON, 20)) and not allowed(at(MON, 19, 59))
    assert not allowed(at(FRI, 2))          # the end is not included
    refused = policy_services.decide(pam, acme, job(pam), local_time=at(SAT, 20, 30))
    assert refused.reason == ("Printing is not allowed at this time (Saturday 20:30) by the print policy "
                              "“Default Print Policy”. Allowed: Monday-Friday 20:00-02:00 (next day).")


def test_the_printers_wall_clock_counts_not_utc(acme, pam, enabled):
    policy_services.update_policy(policy_services.default_policy(acme), limit_times=True, days=PolicyDays.ALL,
                                  start=time(8), end=time(17))
    tokyo = dt_timezone(timedelta(hours=9))
    assert policy_services.decide(pam, acme, job(pam), local_time=at(MON, 9).replace(tzinfo=tokyo)).allowed
    assert not policy_services.decide(pam, acme, job(pam), local_time=at(MON, 18).replace(tzinfo=tokyo)).allowed


def test_tc_p6_a_users_policy_beats_their_departments_which_beats_the_default(acme, pam, dan, enabled):
    sales = create(acme, name="Sales", force_mono=True)
    mine = create(acme, name="Pam's", force_duplex=True)
    policy_services.assign_policy(acme, sales, "department", ["Sales"])
    assert policy_services.policy_for(pam, acme) == sales
    policy_services.assign_policy(acme, mine, "personal", [pam.email])
    assert policy_services.policy_for(pam, acme) == mine
    decision = policy_services.decide(pam, acme, job(pam, pages=2))
    assert (decision.color_mode, decision.two_sided) == (ColorMode.COLOR, TwoSided.LONG_EDGE)
    assert policy_services.policy_for(dan, acme).is_default       # no department, nothing assigned
    assert policy_services.remove_assignments(acme, "personal", [pam.email]) == 1
    assert policy_services.policy_for(pam, acme) == sales
    policy_services.delete_policy(sales)
    assert policy_services.policy_for(pam, acme).is_default


# --- decide: the settings ----------------------------------------------------------------------------------

def test_two_sided_scope_and_minimum_pages(acme, pam, enabled):
    policy = create(acme, force_duplex=True, duplex_scope=DuplexScope.ALL, duplex_mono_min_pages=5,
                    duplex_color_min_pages=2)
    policy_services.assign_policy(acme, policy, "personal", [pam.email])

    def sided(**kw):
        return policy_services.decide(pam, acme, job(pam, **kw)).two_sided

    assert sided(pages=2, color=True) == TwoSided.LONG_EDGE
    assert sided(pages=4, color=False) == TwoSided.OFF             # mono below 5 pages
    assert sided(pages=5, color_mode=ColorMode.MONO) == TwoSided.LONG_EDGE
    assert sided(pages=9, two_sided=TwoSided.PRINTER) == TwoSided.LONG_EDGE   # "use printer setting": forced
    policy_services.update_policy(policy, duplex_scope=DuplexScope.MONO)
    assert sided(pages=9, color=True) == TwoSided.OFF              # color jobs untouched
    assert sided(pages=9, color=False) == TwoSided.LONG_EDGE
    policy_services.update_policy(policy, duplex_scope=DuplexScope.COLOR, duplex_color_min_pages=2)
    assert sided(pages=9, color=False) == TwoSided.OFF
    assert sided(pages=1, color=True) == TwoSided.OFF              # color below 2 pages
    # a color job forced to mono prints mono, so the mono rule decides its sides
    policy_services.update_policy(policy, force_mono=True)
    assert sided(pages=9, color=True) == TwoSided.OFF


def test_windows_follow_the_days_mode(acme, enabled):
    policy = create(acme, limit_times=True, days=PolicyDays.ALL, start="08:00", end="18:30")
    assert list(policy.windows.values_list("weekday", flat=True)) == list(range(7))
    policy = policy_services.update_policy(policy, days=PolicyDays.CUSTOM,
                                           windows=[(2, time(9), time(12)), (6, "22:00", "06:00")])
    assert [(w.weekday, w.start, w.end) for w in policy.windows.all()] == [(2, time(9), time(12)),
                                                                           (6, time(22), time(6))]
    assert policy_services.describe_windows(policy) == "Wed 09:00-12:00, Sun 22:00-06:00 (next day)"
    assert policy_services.allowed_at(policy, at(MON, 5))          # Sunday night's window
    policy = policy_services.update_policy(policy, days=PolicyDays.WEEKDAYS)   # start/end kept
    assert [(w.weekday, w.start) for w in policy.windows.all()] == [(d, time(9)) for d in range(5)]
    policy = policy_services.update_policy(policy, limit_times=False)
    assert not policy.windows.exists() and policy.days == PolicyDays.ALL
    assert policy_services.allowed_at(policy, at(SUN, 3))


def test_an_end_equal_to_the_start_allows_the_whole_day_from_the_start(acme, enabled):
    policy = create(acme, limit_times=True, days=PolicyDays.CUSTOM, windows=[(0, time(6), time(6))])
    assert policy_services.allowed_at(policy, at(MON, 6)) and policy_services.allowed_at(policy, at(MON, 23))
    assert policy_services.allowed_at(policy, at(MON + timedelta(days=1), 5, 59))
    assert not policy_services.allowed_at(policy, at(MON, 5, 59))


def test_settings_hidden_behind_an_unchecked_box_are_cleared(acme, enabled):
    policy = create(acme, force_mono=False, mono_min_pages=4, force_duplex=True, duplex_scope=DuplexScope.MONO,
                    duplex_mono_min_pages=3, duplex_color_min_pages=7)
    assert policy.mono_min_pages is None and policy.duplex_color_min_pages is None
    assert policy.duplex_mono_min_pages == 3


def test_duplicate_copies_settings_and_days_under_a_unique_name(acme, enabled):
    source = create(acme, name="Night", force_mono=True, mono_min_pages=2, limit_times=True,
                    days=PolicyDays.CUSTOM, windows=[(4, time(20), time(2))])
    copy = policy_services.duplicate_policy(source, "Night 2")
    assert (copy.force_mono, copy.mono_min_pages, copy.days) == (True, 2, PolicyDays.CUSTOM)
    assert [(w.weekday, w.start, w.end) for w in copy.windows.all()] == [(4, time(20), time(2))]
    with pytest.raises(ValidationError, match="Type a unique name"):
        policy_services.duplicate_policy(source, "night")
    with pytest.raises(ValidationError, match="Type a unique name"):
        policy_services.duplicate_policy(source, "Default Print Policy")


# --- bad input ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("values,field", [
    ({"name": "  "}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"force_mono": True, "mono_min_pages": 0}, "mono_min_pages"),
    ({"force_mono": True, "mono_min_pages": "abc"}, "mono_min_pages"),
    ({"force_mono": "yes"}, "force_mono"),
    ({"force_duplex": True, "duplex_binding": "diagonal"}, "duplex_binding"),
    ({"force_duplex": True, "duplex_scope": "some"}, "duplex_scope"),
    ({"limit_times": True, "days": "weekends"}, "days"),
    ({"limit_times": True, "days": PolicyDays.ALL, "start": "08:00", "end": None}, "end"),
    ({"limit_times": True, "days": PolicyDays.WEEKDAYS, "start": "25:00", "end": "08:00"}, "start"),
    ({"limit_times": True, "days": PolicyDays.CUSTOM, "windows": []}, "windows"),
    ({"limit_times": True, "days": PolicyDays.CUSTOM, "windows": [(1, time(8), None)]}, "windows"),
    ({"limit_times": True, "days": PolicyDays.CUSTOM, "windows": [(7, time(8), time(9))]}, "windows"),
    ({"limit_times": True, "days": PolicyDays.CUSTOM,
      "windows": [(1, time(8), time(9)), (1, time(10), time(11))]}, "windows"),
    ({"colour": True}, "colour"),
])
def test_bad_input_is_refused_per_field_and_nothing_is_written(acme, enabled, values, field):
    policy = create(acme, name="Kept", limit_times=True, days=PolicyDays.ALL, start=time(8), end=time(9))
    with pytest.raises(ValidationError) as refused:
        policy_services.update_policy(policy, **{"name": "Kept", **values})
    assert field in refused.value.message_dict
    policy.refresh_from_db()
    assert policy.name == "Kept" and policy.windows.count() == 7 and not policy.force_mono
    with pytest.raises(ValidationError):
        create(acme, **{"name": "New", **values})
    assert not PrintPolicy.objects.filter(name="New").exists()


def test_assigning_an_unknown_target_assigns_nothing(acme, pam, enabled):
    policy = create(acme)
    with pytest.raises(ValidationError) as refused:
        policy_services.assign_policy(acme, policy, "personal", [pam.email, "ghost@acme.test"])
    assert "ghost@acme.test is not a user of this organization." in refused.value.message_dict["target"]
    with pytest.raises(ValidationError, match="must match a department"):
        policy_services.assign_policy(acme, policy, "department", ["Nowhere"])
    with pytest.raises(ValidationError, match="not enabled in Organizational Settings"):
        policy_services.assign_policy(acme, policy, "cost_center", ["CC-7"])
    assert not PrintPolicyAssignment.objects.exists()


def test_another_organizations_policy_cannot_be_assigned(acme, globex, pam, enabled):
    update_settings(globex, policies_enabled=True)
    theirs = create(globex, name="Theirs")
    with pytest.raises(ValidationError, match="of this organization"):
        policy_services.assign_policy(acme, theirs, "personal", [pam.email])


# --- pages -------------------------------------------------------------------------------------------------

def url(name, org, **kwargs):
    return reverse(f"printmgmt:{name}", kwargs={"org_id": org.pk, **kwargs})


def test_pages_say_when_policies_are_off_and_link_to_organizational_settings(client, acme, ada):
    client.force_login(ada)
    for name in ("policies", "policy-assignments"):
        page = client.get(url(name, acme)).content.decode()
        assert "Print policies are not enabled" in page and url("settings", acme) in page
        assert 'data-testid="nav-policies"' not in page
    assert client.post(url("policy-create", acme), {"name": "X"}).status_code == 400
    assert not PrintPolicy.objects.filter(name="X").exists()


def test_create_edit_duplicate_and_delete_pages(client, acme, ada, enabled):
    client.force_login(ada)
    page = client.get(url("policies", acme)).content.decode()
    assert "Default Print Policy" in page and "Create Print Policy" in page and 'data-testid="nav-policies"' in page
    form = {"name": "Evenings", "force_mono": "on", "mono_min": "on", "mono_min_pages": "3", "force_duplex": "on",
            "duplex_binding": "short_edge", "duplex_scope": "color", "duplex_color_min": "",
            "duplex_color_min_pages": "8", "limit_times": "on", "days": "custom", "day_4": "on",
            "start_4": "18:00", "end_4": "01:00", "start_5": "09:00"}
    response = client.post(url("policy-create", acme), form)
    assert response.status_code == 302
    policy = PrintPolicy.objects.get(name="Evenings")
    assert (policy.mono_min_pages, policy.duplex_binding, policy.duplex_scope) == (3, "short_edge", "color")
    assert policy.duplex_color_min_pages is None      # its box was not checked
    assert [(w.weekday, w.start, w.end) for w in policy.windows.all()] == [(4, time(18), time(1))]

    edit = client.get(url("policy", acme, policy_id=policy.pk)).content.decode()
    assert 'value="Evenings"' in edit and 'id="id_day_4" checked' in edit and "Delete Print Policy" in edit
    assert client.post(url("policy", acme, policy_id=policy.pk), {**form, "mono_min_pages": "5"}).status_code == 302
    policy.refresh_from_db()
    assert policy.mono_min_pages == 5

    duplicate = client.get(url("policy-duplicate", acme, policy_id=policy.pk)).content.decode()
    assert 'name="name"' in duplicate and 'value="Evenings"' not in duplicate
    refused = client.post(url("policy-duplicate", acme, policy_id=policy.pk), {**form, "name": "evenings"})
    assert refused.status_code == 400 and "Type a unique name" in refused.content.decode()
    assert client.post(url("policy-duplicate", acme, policy_id=policy.pk),
                       {**form, "name": "Evenings 2"}).status_code == 302
    assert PrintPolicy.objects.get(name="Evenings 2").windows.count() == 1

    assert client.post(url("policy-delete", acme, policy_id=policy.pk)).status_code == 302
    assert not PrintPolicy.objects.filter(name="Evenings").exists()
    default = policy_services.default_policy(acme)
    client.post(url("policy-delete", acme, policy_id=default.pk))
    assert PrintPolicy.objects.filter(pk=default.pk).exists()
    assert "Default Print Policy cannot be deleted" in client.get(url("policy", acme, policy_id=default.pk)
                                                                  ).content.decode()


def test_the_form_shows_each_mistake_on_its_field(client, acme, ada, enabled):
    client.force_login(ada)
    response = client.post(url("policy-create", acme), {"name": "Mono", "force_mono": "on", "mono_min": "on"})
    assert response.status_code == 400 and "Type the minimum number of pages." in response.content.decode()
    response = client.post(url("policy-create", acme), {"name": "", "limit_times": "on", "days": "custom"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Type a policy name." in page and "Select at least one day on which printing is allowed." in page
    response = client.post(url("policy-create", acme), {"name": "Odd", "limit_times": "on", "days": "custom",
                                                        "day_2": "on", "start_2": "08:00"})
    assert response.status_code == 400 and "Set the End time for Wednesday." in response.content.decode()
    assert not PrintPolicy.objects.filter(name="Odd").exists()


def test_assignments_page_tabs_assign_filter_and_remove(client, acme, ada, pam, dan, enabled):
    update_settings(acme, policy_assign_by=AssignBy.COST_CENTER)
    policy = create(acme, name="Mono", force_mono=True)
    client.force_login(ada)
    page = client.get(url("policy-assignments", acme)).content.decode()
    assert 'data-testid="tab-cost_center"' in page and 'data-testid="tab-personal"' in page
    assert 'data-testid="tab-department"' not in page and "CC-7" in page

    response = client.post(url("policy-assign", acme), {"kind": "cost_center", "targets": ["CC-7"],
                                                        "policy": policy.pk})
    assert response.status_code == 302 and policy_services.policy_for(pam, acme) == policy
    response = client.post(url("policy-assign", acme), {"kind": "personal", "target": "dan@acme.test",
                                                        "policy": policy.pk})
    assert response.status_code == 302
    assert PrintPolicyAssignment.objects.get(kind="personal").user == dan

    page = client.get(url("policy-assignments", acme) + f"?kind=personal&policy={policy.pk}").content.decode()
    assert "dan@acme.test" in page and "pam@acme.test" not in page
    default = policy_services.default_policy(acme)
    page = client.get(url("policy-assignments", acme) + f"?kind=personal&policy={default.pk}").content.decode()
    assert "pam@acme.test" in page and "dan@acme.test" not in page

    refused = client.post(url("policy-assign", acme), {"kind": "personal", "target": "ghost@acme.test",
                                                       "policy": policy.pk})
    assert refused.status_code == 400 and "ghost@acme.test is not a user" in refused.content.decode()
    refused = client.post(url("policy-assign", acme), {"kind": "personal", "target": "pam@acme.test"})
    assert refused.status_code == 400 and "Select a print policy." in refused.content.decode()
    refused = client.post(url("policy-assign", acme), {"kind": "department", "target": "Sales",
                                                       "policy": policy.pk})
    assert refused.status_code == 302 and not PrintPolicyAssignment.objects.filter(kind="department").exists()

    response = client.post(url("policy-unassign", acme), {"kind": "personal", "targets": ["dan@acme.test"]})
    assert response.status_code == 302 and not PrintPolicyAssignment.objects.filter(kind="personal").exists()
    assert PrintPolicyAssignment.objects.filter(kind="cost_center").exists()


# --- API ---------------------------------------------------------------------------------------------------

def api(org, *parts):
    return f"/api/v1/organizations/{org.pk}/print/policies/" + "".join(f"{p}/" for p in parts)


def test_api_create_read_change_duplicate_delete(client, acme, ada, enabled):
    client.force_login(ada)
    listed = client.get(api(acme)).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["name"] for r in rows] == ["Default Print Policy"] and rows[0]["is_default"]
    body = {"name": "Night", "force_duplex": True, "duplex_scope": "mono", "duplex_mono_min_pages": 4,
            "limit_times": True, "days": "weekdays", "start": "20:00", "end": "02:00"}
    created = client.post(api(acme), body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["schedule"] == "Monday-Friday 20:00-02:00 (next day)" and len(data["windows"]) == 5
    pk = data["id"]
    changed = client.patch(api(acme, pk), {"days": "custom", "windows": [{"weekday": 5, "start": "10:00",
                                                                           "end": "12:00"}]},
                           content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["windows"] == [{"weekday": 5, "start": "10:00", "end": "12:00"}]
    assert changed.json()["duplex_mono_min_pages"] == 4
    copy = client.post(api(acme, pk, "duplicate"), {"name": "Night copy"}, content_type="application/json")
    assert copy.status_code == 201 and copy.json()["windows"][0]["weekday"] == 5
    assert client.post(api(acme, pk, "duplicate"), {"name": "night"},
                       content_type="application/json").status_code == 400
    assert client.delete(api(acme, pk)).status_code == 204
    default = policy_services.default_policy(acme)
    refused = client.delete(api(acme, default.pk))
    assert refused.status_code == 400 and "cannot be deleted" in str(refused.json())


def test_api_bad_input(client, acme, ada, enabled):
    client.force_login(ada)
    for body, field in [({"name": ""}, "name"), ({"name": "A", "mono_min_pages": 0}, "mono_min_pages"),
                        ({"name": "A", "limit_times": True, "days": "all", "start": "08:00"}, "end"),
                        ({"name": "A", "limit_times": True, "days": "custom",
                          "windows": [{"weekday": 9, "start": "08:00", "end": "09:00"}]}, "windows"),
                        ({"name": "A", "duplex_binding": "diagonal"}, "duplex_binding")]:
        response = client.post(api(acme), body, content_type="application/json")
        assert response.status_code == 400 and field in response.json(), (body, response.content)
    assert not PrintPolicy.objects.filter(name="A").exists()


def test_api_assignments(client, acme, ada, pam, globex, enabled):
    client.force_login(ada)
    policy = create(acme, name="Mono", force_mono=True)
    created = client.post(api(acme, "assignments"), {"kind": "department", "target": "sales",
                                                     "policy": policy.pk}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["target"] == "Sales" and created.json()["policy_name"] == "Mono"
    listed = client.get(api(acme, "assignments") + f"?policy={policy.pk}").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["target"] for r in rows] == ["Sales"]
    assert client.post(api(acme, "assignments"), {"kind": "personal", "target": "ghost@acme.test",
                                                  "policy": policy.pk},
                       content_type="application/json").status_code == 400
    update_settings(globex, policies_enabled=True)
    theirs = create(globex, name="Theirs")
    assert client.post(api(acme, "assignments"), {"kind": "personal", "target": pam.email, "policy": theirs.pk},
                       content_type="application/json").status_code == 400
    assert client.delete(api(acme, "assignments", created.json()["id"])).status_code == 204
    assert policy_services.policy_for(pam, acme).is_default


def test_users_of_other_organizations_are_not_targets(acme, globex, enabled):
    make_user(globex, "g@globex.test", department="Sales")
    policy = create(acme)
    with pytest.raises(ValidationError):
        policy_services.assign_policy(acme, policy, "personal", ["g@globex.test"])
