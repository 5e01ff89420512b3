"""Fleet Agent definitions (fleet.services.agents): names, the Default profile, SNMP profiles and their limits,
discovery criteria and their formats, import/export, edits telling the agent, and the guide's consequences of
changing a profile, deactivating and deleting."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fleet.choices import Activation, AgentType, CriterionKind, JobStatus, SearchType, SnmpVersion, TaskType
from fleet.models import ActivationCode, Agent, DiscoveryCriterion, Job, Printer, SnmpProfile, Task
from fleet.services import agents as svc
from fleet.services import criteria
from fleet.services.agents import CriterionSpec, FleetSettings, ProfileSpec


def make_agent(org, name="Fleet Agent 1", **kwargs):
    return svc.save_fleet_agent(org, name=name, **kwargs)


def activate(agent, now=None):
    code = svc.generate_activation_code(agent, now=now)
    return svc.activate(code.code, kind="fleet", host_name="srv.test", now=now)


def v3_profile(name="Site 1", **overrides):
    values = {"name": name, "version": SnmpVersion.V3, "security_level": "authPriv", "username": "fleet",
              "auth_protocol": "SHA256", "auth_key": "auth-secret", "privacy_protocol": "AES",
              "privacy_key": "priv-secret", "timeout": 15, "retries": 3}
    return ProfileSpec(**{**values, **overrides})


def enrolled_printer(agent, serial, profile=None):
    return Printer.objects.create(organization=agent.organization, agent=agent, agent_type=agent.kind, serial=serial,
                                  ip_address="127.0.2.1", snmp_profile=profile)


# --- creation --------------------------------------------------------------------------------------------
def test_a_new_fleet_agent_gets_the_default_profile_and_an_activation_code(acme):
    agent = make_agent(acme)
    default = agent.snmp_profiles.get()
    assert (default.name, default.is_default, default.version, default.community, default.timeout, default.retries,
            default.port) == ("Default", True, SnmpVersion.V1, "public", 15, 1, 161)
    assert agent.kind == AgentType.FLEET and agent.activation == Activation.REQUIRED
    code = svc.current_activation_code(agent)
    assert code.max_activations == 1
    assert code.expires_at - code.created_at == timedelta(hours=72)


def test_fleet_agent_names_are_unique_per_organization(acme, globex):
    make_agent(acme, "Site 4")
    with pytest.raises(ValidationError) as error:
        make_agent(acme, "site 4")
    assert "already exists" in str(error.value)
    assert make_agent(globex, "Site 4").organization == globex


def test_advanced_search_needs_an_include_address(acme):
    with pytest.raises(ValidationError) as error:
        make_agent(acme, settings_=FleetSettings(search_type=SearchType.ADVANCED))
    assert error.value.message_dict["criteria"] == ['Enter at least one "Include" address.']
    with pytest.raises(ValidationError, match='Enter at least one "Include" address.'):
        make_agent(acme, settings_=FleetSettings(search_type=SearchType.ADVANCED),
                   criteria=[CriterionSpec(CriterionKind.EXCLUDE, "127.0.0.9")])
    assert not Agent.objects.filter(organization=acme).exists()


def test_create_with_a_v3_profile_and_criteria_using_it(acme):
    agent = make_agent(acme, settings_=FleetSettings(search_type=SearchType.ADVANCED),
                       profiles=[v3_profile()],
                       criteria=[CriterionSpec(CriterionKind.INCLUDE, "127.0.3.*", "Site 1"),
                                 CriterionSpec(CriterionKind.INCLUDE, "127.0.3.*", ""),
                                 CriterionSpec(CriterionKind.EXCLUDE, " 127.0.3.9 ")])
    names = {p.name: p for p in agent.snmp_profiles.all()}
    assert set(names) == {"Default", "Site 1"} and names["Default"].is_default
    assert names["Site 1"].privacy_key == "priv-secret"
    rows = {(c.kind, c.address, c.profile.name if c.profile else None) for c in agent.criteria.all()}
    # the same address may appear with different profiles
    assert rows == {("include", "127.0.3.*", "Site 1"), ("include", "127.0.3.*", "Default"),
                    ("exclude", "127.0.3.9", None)}


@pytest.mark.parametrize("text,stored", [
    ("127.20.15.27", "127.20.15.27"), ("127.20.15.*", "127.20.15.*"), ("127.20.*.*", "127.20.*.*"),
    ("127.20.15.3-127.20.15.34", "127.20.15.3-127.20.15.34"),
    ("127.20.15.3 - 127.20.15.34", "127.20.15.3-127.20.15.34"),
    ("MyPrinter.Domain.test", "myprinter.domain.test"), ("printer-7", "printer-7"),
])
def test_accepted_address_formats(text, stored):
    assert criteria.normalize_address(text) == stored


@pytest.mark.parametrize("text,message", [
    ("", "Enter an address."),
    ("300.1.1.1", "is not a valid address. Valid formats: 10.20.15.27, 10.20.15.*, 10.20.*.*"),
    ("127.*.*.*", "is not a valid address"), ("127.20.*.5", "is not a valid address"),
    ("127.20.15.34-127.20.15.3", "the first address of a range must not be greater than the last"),
    ("127.0.0.0-127.2.0.0", "a range can hold at most 65536 addresses"),
    ("-bad-.test", "is not a valid address"), ("fe80::1", "is not a valid address"),
])
def test_rejected_addresses_say_why(text, message):
    with pytest.raises(ValidationError) as error:
        criteria.normalize_address(text)
    assert message in " ".join(error.value.messages)


# --- SNMP profiles ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides,field,message", [
    ({"timeout": 0}, "timeout", "Range: 1 - 60 seconds."), ({"timeout": 61}, "timeout", "Range: 1 - 60 seconds."),
    ({"retries": 21}, "retries", "Range: 0 - 20 retries."), ({"retries": -1}, "retries", "Range: 0 - 20 retries."),
    ({"auth_key": "short"}, "auth_key", "at least 8 characters"),
    ({"privacy_key": ""}, "privacy_key", "at least 8 characters"),
    ({"security_level": ""}, "security_level", "Select a security level."),
    ({"username": ""}, "username", "Type a user name."),
    ({"auth_protocol": "ROT13"}, "auth_protocol", "Select an authentication mode."),
])
def test_snmp_profile_limits(acme, overrides, field, message):
    agent = make_agent(acme)
    with pytest.raises(ValidationError) as error:
        svc.create_snmp_profile(agent, v3_profile(**overrides))
    assert message in " ".join(error.value.message_dict[field])
    assert agent.snmp_profiles.count() == 1


def test_v1_needs_a_community_and_v3_keys_follow_the_security_level(acme):
    agent = make_agent(acme)
    with pytest.raises(ValidationError) as error:
        svc.create_snmp_profile(agent, ProfileSpec(name="Community-less", version=SnmpVersion.V2C))
    assert error.value.message_dict == {"community": ["Type a community name."]}
    auth_only = svc.create_snmp_profile(agent, v3_profile("Auth only", security_level="authNoPriv",
                                                          privacy_key=""))
    assert (auth_only.auth_key, auth_only.privacy_protocol, auth_only.privacy_key) == ("auth-secret", "", "")
    plain = svc.create_snmp_profile(agent, v3_profile("Plain", security_level="noAuthNoPriv", auth_key=""))
    assert (plain.auth_protocol, plain.auth_key, plain.community) == ("", "", "")


def test_profile_names_are_unique_per_agent(acme):
    agent = make_agent(acme)
    other = make_agent(acme, "Fleet Agent 2")
    svc.create_snmp_profile(agent, v3_profile())
    with pytest.raises(ValidationError, match="already exists"):
        svc.create_snmp_profile(agent, v3_profile("site 1"))
    assert svc.create_snmp_profile(other, v3_profile()).agent == other


def test_the_default_profile_can_be_edited_but_not_deleted(acme):
    agent = make_agent(acme)
    default = agent.snmp_profiles.get()
    with pytest.raises(ValidationError) as error:
        svc.delete_snmp_profile(default)
    assert error.value.messages == ["The default profile can be edited but not deleted."]
    spec = ProfileSpec.of(default)
    spec.community = "private"
    svc.update_snmp_profile(default, spec)
    default.refresh_from_db()
    assert default.community == "private" and default.is_default
    with pytest.raises(ValidationError, match="can be edited but not deleted"):
        svc.save_fleet_agent(acme, agent=agent, name=agent.name, profiles=[v3_profile()])


def test_blank_secrets_keep_the_stored_ones(acme):
    agent = make_agent(acme)
    profile = svc.create_snmp_profile(agent, v3_profile())
    spec = ProfileSpec.of(profile)
    spec.auth_key = spec.privacy_key = ""
    spec.retries = 5
    svc.update_snmp_profile(profile, spec)
    profile.refresh_from_db()
    assert (profile.auth_key, profile.privacy_key, profile.retries) == ("auth-secret", "priv-secret", 5)


def test_changing_or_deleting_a_profile_unenrolls_its_printers(acme):
    agent = make_agent(acme)
    site = svc.create_snmp_profile(agent, v3_profile())
    default = agent.snmp_profiles.get(is_default=True)
    on_site = enrolled_printer(agent, "SITE1", site)
    on_default = enrolled_printer(agent, "DEF1", default)
    renamed = ProfileSpec.of(site)
    renamed.name = "Site One"      # a new name only: same printers, nothing unenrolled
    svc.update_snmp_profile(site, renamed)
    assert Printer.objects.enrolled().filter(pk=on_site.pk).exists()
    changed = ProfileSpec.of(site)
    changed.retries = 7
    svc.update_snmp_profile(site, changed)
    assert not Printer.objects.enrolled().filter(pk=on_site.pk).exists()
    assert Task.objects.filter(organization=acme, task_type=TaskType.UNENROLL, jobs__printer=on_site).exists()
    assert Printer.objects.enrolled().filter(pk=on_default.pk).exists()
    other = svc.create_snmp_profile(agent, v3_profile("Site 2"))
    second = enrolled_printer(agent, "SITE2", other)
    svc.delete_snmp_profile(other)
    assert not Printer.objects.enrolled().filter(pk=second.pk).exists()
    assert Printer.objects.filter(pk=second.pk).exists()   # unenrolled, not deleted


def test_saving_the_definition_without_a_profile_deletes_it_and_unenrolls(acme):
    agent = make_agent(acme, profiles=[default := svc.default_profile_spec(), v3_profile()])
    assert default.name == "Default"
    site = agent.snmp_profiles.get(name="Site 1")
    printer = enrolled_printer(agent, "S1", site)
    kept = [ProfileSpec.of(agent.snmp_profiles.get(is_default=True))]
    svc.save_fleet_agent(acme, agent=agent, name=agent.name, profiles=kept)
    assert list(agent.snmp_profiles.values_list("name", flat=True)) == ["Default"]
    assert not Printer.objects.enrolled().filter(pk=printer.pk).exists()


# --- edits reach the agent -------------------------------------------------------------------------------
def test_an_edit_bumps_the_definition_and_tells_an_activated_agent(acme):
    agent = make_agent(acme)
    svc.update_fleet_settings(agent, network_delay=500)
    agent.refresh_from_db()
    assert agent.definition_version == 2 and agent.network_delay == 500
    assert not Task.objects.filter(task_type=TaskType.EDIT_AGENT_SETTINGS).exists()  # not activated yet
    activate(agent)
    svc.add_criteria(agent, CriterionKind.INCLUDE, ["127.0.4.1"])
    agent.refresh_from_db()
    assert agent.definition_version == 3
    task = Task.objects.get(task_type=TaskType.EDIT_AGENT_SETTINGS)
    assert task.args == {"definition_version": 3} and task.jobs.get().agent == agent


def test_an_edit_for_a_silent_agent_ends_not_communicating(acme):
    agent = make_agent(acme)
    activate(agent)
    Agent.objects.filter(pk=agent.pk).update(last_communication=timezone.now() - timedelta(days=2))
    agent.refresh_from_db()
    svc.update_fleet_settings(agent, network_delay=500)
    job = Task.objects.get(task_type=TaskType.EDIT_AGENT_SETTINGS).jobs.get()
    assert job.status == JobStatus.NOT_COMMUNICATING


@pytest.mark.parametrize("changes,field", [
    ({"network_delay": -1}, "network_delay"), ({"network_delay": 10001}, "network_delay"),
    ({"refresh_interval": 10}, "refresh_interval"), ({"discovery_interval": 745}, "discovery_interval"),
    ({"log_level": "verbose"}, "log_level"), ({"search_type": "everywhere"}, "search_type"),
])
def test_settings_limits(acme, changes, field):
    agent = make_agent(acme)
    with pytest.raises(ValidationError) as error:
        svc.update_fleet_settings(agent, **changes)
    assert field in error.value.message_dict


def test_a_zero_network_delay_is_allowed(acme):
    agent = svc.update_fleet_settings(make_agent(acme), network_delay=0, discovery_interval=0)
    assert (agent.network_delay, agent.discovery_interval) == (0, 0)


# --- criteria --------------------------------------------------------------------------------------------
def test_the_same_criterion_twice_is_refused_but_another_profile_is_fine(acme):
    agent = make_agent(acme)
    site = svc.create_snmp_profile(agent, v3_profile())
    svc.add_criteria(agent, CriterionKind.INCLUDE, ["127.0.5.1"])
    with pytest.raises(ValidationError, match='already included with the SNMP profile "Default"'):
        svc.add_criteria(agent, CriterionKind.INCLUDE, ["127.0.5.1"])
    svc.add_criteria(agent, CriterionKind.INCLUDE, ["127.0.5.1"], profile=site)
    assert agent.criteria.filter(address="127.0.5.1").count() == 2


def test_deleting_the_last_include_of_an_advanced_search_is_refused(acme):
    agent = make_agent(acme, settings_=FleetSettings(search_type=SearchType.ADVANCED),
                       criteria=[CriterionSpec(CriterionKind.INCLUDE, "127.0.6.1")])
    with pytest.raises(ValidationError, match='Enter at least one "Include" address.'):
        svc.delete_criteria(agent, agent.criteria.values_list("pk", flat=True))
    assert agent.criteria.count() == 1


def test_import_reports_every_bad_line_and_writes_nothing(acme):
    agent = make_agent(acme)
    content = "Address,SNMP Profile\n127.0.7.1,Default\n999.1.1.1,Default\n127.0.7.*,Nope\n\n127.0.7.2\n"
    with pytest.raises(ValidationError) as error:
        svc.import_criteria(agent, CriterionKind.INCLUDE, content)
    assert error.value.messages == [
        'Line 3: "999.1.1.1" is not a valid address. ' + criteria.VALID_FORMATS,
        'Line 4: the SNMP profile "Nope" does not exist.']
    assert not agent.criteria.exists()


def test_import_a_txt_file_without_header_and_overwrite(acme):
    agent = make_agent(acme)
    svc.add_criteria(agent, CriterionKind.EXCLUDE, ["127.0.8.99"])
    svc.add_criteria(agent, CriterionKind.INCLUDE, ["127.0.8.50"])
    result = svc.import_criteria(agent, CriterionKind.EXCLUDE, b"127.0.8.1\r\n127.0.8.2\r\n127.0.8.1\r\n",
                                 overwrite=True)
    assert (result.added, result.skipped, result.removed) == (2, 1, 1)
    assert set(agent.criteria.filter(kind="exclude").values_list("address", flat=True)) == {"127.0.8.1", "127.0.8.2"}
    assert agent.criteria.filter(kind="include").count() == 1   # the other list is untouched
    again = svc.import_criteria(agent, CriterionKind.EXCLUDE, "Address\n127.0.8.2\n127.0.8.3\n")
    assert (again.added, again.skipped, again.removed) == (1, 1, 0)


def test_export_round_trips_through_import(acme):
    agent = make_agent(acme)
    site = svc.create_snmp_profile(agent, v3_profile())
    svc.add_criteria(agent, CriterionKind.INCLUDE, ["127.0.9.1", "printer.acme.test"], profile=site)
    svc.add_criteria(agent, CriterionKind.INCLUDE, ["127.0.9.2"])
    first = agent.criteria.order_by("id").first()
    assert svc.export_criteria(agent, "include", ids=[first.pk]) == "Address,SNMP Profile\r\n127.0.9.1,Site 1\r\n"
    exported = svc.export_criteria(agent, "include")
    other = make_agent(acme, "Other")
    svc.create_snmp_profile(other, v3_profile())
    assert svc.import_criteria(other, "include", exported).added == 3
    assert svc.export_criteria(other, "include") == exported


def test_sample_file_imports_cleanly(acme):
    agent = make_agent(acme)
    assert svc.import_criteria(agent, "include", criteria.sample_csv("include")).added == 5


# --- activation code, deactivate, restore, delete ---------------------------------------------------------
def test_a_new_activation_code_expires_the_previous_one(acme):
    agent = make_agent(acme)
    first = svc.current_activation_code(agent)
    second = svc.generate_activation_code(agent)
    first.refresh_from_db()
    assert first.expired_at is not None and not first.is_valid()
    assert svc.current_activation_code(agent) == second
    with pytest.raises(svc.InvalidCode):
        svc.activate(first.code, kind="fleet")


def test_deactivate_unenrolls_printers_keeps_data_revokes_credentials(acme):
    agent = make_agent(acme)
    activated = activate(agent)
    assert agent.__class__.objects.get(pk=agent.pk).check_secret(activated.secret)
    printer = enrolled_printer(agent, "P1")
    svc.deactivate_agent(agent)
    agent.refresh_from_db()
    # it was communicating: it keeps its secret only until it has reported on its Deactivate agent job
    assert agent.activation == Activation.DEACTIVATED and agent.check_secret(activated.secret)
    Job.objects.filter(task__task_type=TaskType.DEACTIVATE_AGENT).update(
        created_at=timezone.now() - timedelta(days=8))
    from fleet.services.tasks import expire_jobs
    expire_jobs()
    agent.refresh_from_db()
    assert agent.secret_digest == "" and not agent.check_secret(activated.secret)
    assert not Printer.objects.enrolled().filter(pk=printer.pk).exists()
    assert Printer.objects.filter(pk=printer.pk).exists()          # "Device data ... is also retained."
    deactivation = Task.objects.get(task_type=TaskType.DEACTIVATE_AGENT)   # it was communicating
    assert deactivation.jobs.get().agent_id == agent.pk
    assert Agent.objects.filter(pk=agent.pk).exists()             # "The Fleet Agent definition is not deleted."


def test_deactivating_a_silent_agent_sends_nothing(acme):
    agent = make_agent(acme)
    long_ago = timezone.now() - timedelta(days=2)
    activate(agent, now=long_ago)
    svc.deactivate_agent(agent)
    assert not Task.objects.filter(task_type=TaskType.DEACTIVATE_AGENT).exists()
    agent.refresh_from_db()
    assert agent.secret_digest == ""                               # nothing to wait for


def test_restore_with_a_new_code(acme):
    agent = make_agent(acme)
    activate(agent)
    svc.deactivate_agent(agent)
    restored = activate(agent)
    agent.refresh_from_db()
    assert agent.activation == Activation.ACTIVATED and agent.check_secret(restored.secret)


def test_delete_removes_the_agent_and_its_printers_data(acme):
    agent = make_agent(acme)
    activate(agent)
    kept_elsewhere = Printer.objects.create(organization=acme, serial="OTHER", agent_type=AgentType.FLEET)
    printer = enrolled_printer(agent, "P1")
    earlier = enrolled_printer(agent, "P0")
    from fleet.services import printers as printer_services

    printer_services.unenroll_printers(acme, [earlier])   # unenrolled before, data kept until now
    svc.delete_agent(agent)
    assert not Agent.objects.filter(pk=agent.pk).exists()
    assert not Printer.objects.filter(pk__in=[printer.pk, earlier.pk]).exists()
    assert Printer.objects.filter(pk=kept_elsewhere.pk).exists()
    assert not SnmpProfile.objects.filter(agent_id=agent.pk).exists()
    assert not DiscoveryCriterion.objects.filter(agent_id=agent.pk).exists()
    assert not ActivationCode.objects.filter(agent_id=agent.pk).exists()
    assert Task.objects.filter(task_type=TaskType.UNENROLL, jobs__target="127.0.2.1").exists()


# --- agent tasks -----------------------------------------------------------------------------------------
def test_agent_tasks_from_the_agent_page(acme, org_admin):
    agent = make_agent(acme)
    with pytest.raises(ValidationError, match="Activate the agent first."):
        svc.discover_printers(agent)
    activate(agent)
    assert svc.discover_printers(agent, user=org_admin).task_type == TaskType.DISCOVER
    assert svc.refresh_all(agent).task_type == TaskType.REFRESH_ALL
    assert svc.request_agent_log(agent).task_type == TaskType.AGENT_LOG
    profile = agent.snmp_profiles.get()
    walk = svc.request_mib_walk(agent, " 127.0.10.5 ", profile)
    assert walk.task_type == TaskType.MIB_WALK and walk.args == {"address": "127.0.10.5", "profile": "Default"}
    with pytest.raises(ValidationError, match="one printer"):
        svc.request_mib_walk(agent, "127.0.10.*", profile)
    assert Job.objects.filter(agent=agent).count() == 4


def test_bulk_updates(acme, globex):
    fleet = [make_agent(acme, f"F{i}") for i in range(2)]
    task = svc.update_agents(acme, fleet)
    assert task.task_type == TaskType.UPDATE_AGENT and task.jobs.count() == 2
    assert svc.update_agents(acme, fleet, library=True).task_type == TaskType.UPDATE_LIBRARY
    with pytest.raises(ValidationError, match="Select one or more agents."):
        svc.update_agents(acme, [make_agent(globex, "Theirs")])


def test_definition_document_carries_secrets_for_the_agent(acme):
    agent = make_agent(acme, settings_=FleetSettings(search_type=SearchType.ADVANCED, network_delay=300),
                       profiles=[svc.default_profile_spec(), v3_profile()],
                       criteria=[CriterionSpec("include", "127.0.11.*", "Site 1"), CriterionSpec("exclude", "127.0.11.7")])
    document = svc.definition_document(agent)
    assert document["criteria"] == {"include": [{"address": "127.0.11.*", "profile": "Site 1"}],
                                    "exclude": [{"address": "127.0.11.7"}]}
    site = next(p for p in document["snmp_profiles"] if p["name"] == "Site 1")
    assert (site["auth_key"], site["privacy_key"], site["username"]) == ("auth-secret", "priv-secret", "fleet")
    assert next(p for p in document["snmp_profiles"] if p["default"])["community"] == "public"
    assert (document["network_delay_ms"], document["search_type"], document["definition_version"]) == (300, "advanced", 1)
