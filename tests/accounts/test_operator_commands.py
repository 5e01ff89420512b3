"""createorg and createadmin: organizations found by name or ID, service errors as command errors."""
import pytest
from django.core.management import CommandError, call_command

from accounts.access import effective_permissions
from accounts.models import Organization, User
from accounts.roles import Perm


def test_createorg_makes_a_child_of_a_parent_named_or_given_by_id(db, capsys):
    call_command("createorg", "Channel Co", "--partner", "--services", "fleet,print")
    partner = Organization.objects.get(name="Channel Co")
    assert partner.is_partner and partner.entitlements == ["account", "fleet", "print"]
    call_command("createorg", "By Name", "--parent", "Channel Co")
    call_command("createorg", "By Id", "--parent", str(partner.pk))
    assert set(partner.children.values_list("name", flat=True)) == {"By Name", "By Id"}
    with pytest.raises(CommandError, match="No organization 'Nowhere'"):
        call_command("createorg", "Orphan", "--parent", "Nowhere")
    with pytest.raises(CommandError, match="Special characters are not supported."):
        call_command("createorg", "Bad#Name")


def test_createadmin_in_a_partner_makes_a_partner_administrator(db):
    call_command("createorg", "Channel Co", "--partner")
    call_command("createadmin", "boss@channel.test", "--org", "Channel Co", "--password", "Boss-pass1!")
    boss = User.objects.get(email="boss@channel.test")
    perms = effective_permissions(boss, boss.organization)
    assert {Perm.ORG_MANAGE, Perm.CHILDREN_MANAGE} <= perms
    with pytest.raises(CommandError, match="E-mail must be unique."):
        call_command("createadmin", "boss@channel.test", "--org", "Channel Co", "--password", "Boss-pass1!")
