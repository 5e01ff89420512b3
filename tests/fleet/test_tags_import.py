"""Tag printers using file import: the guide's rules (200KB, TXT or CSV, header IP Address or Serial Number in any
case, relevant data, valid IP addresses, no blank lines), each violation reported with its line and nothing
tagged; the Tag Printers Results Summary when some listed printers are not in the organization."""
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fleet.models import Printer
from fleet.services import tags as services
from tests.fleet.detail_support import catalog_printer, fleet_admin
from tests.fleet.factories import make_agent, make_tag


def upload(text, name="printers.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8") if isinstance(text, str) else text, "text/csv")


@pytest.fixture
def printers(acme):
    agent = make_agent(acme)
    return [catalog_printer(acme, agent, ip_address=f"127.0.5.{i}", serial=f"50621094752G{i}") for i in (1, 2, 3)]


@pytest.fixture
def tag(acme):
    return make_tag(acme, "Imported")


def _tagged(tag):
    return sorted(tag.printers.values_list("serial", flat=True))


def test_ip_address_file_tags_the_listed_printers(acme, printers, tag):
    result = services.import_tags(acme, [tag.pk], upload("IP Address\n127.0.5.1\n127.0.5.3\n"))
    assert (result.tagged, result.not_tagged, result.summary_needed) == (2, [], False)
    assert _tagged(tag) == ["50621094752G1", "50621094752G3"]


def test_serial_number_header_and_values_in_any_case(acme, printers, tag):
    second = make_tag(acme, "Second")
    result = services.import_tags(acme, [tag.pk, second.pk],
                                  upload("\ufeffSERIAL NUMBER\r\n50621094752g2\r\n50621094752G2\r\n", "list.txt"))
    assert result.tagged == 1
    assert _tagged(tag) == _tagged(second) == ["50621094752G2"]


def test_printers_outside_the_organization_need_a_results_summary(acme, globex, printers, tag):
    catalog_printer(globex, ip_address="127.0.6.1")
    result = services.import_tags(acme, [tag.pk], upload("ip address\n127.0.5.1\n127.0.6.1\n127.0.9.9\n"))
    assert result.tagged == 1 and result.not_tagged == ["127.0.6.1", "127.0.9.9"] and result.summary_needed
    assert not Printer.objects.get(organization=globex).tags.exists()


def test_a_csv_with_more_columns_uses_the_header_column(acme, printers, tag):
    result = services.import_tags(acme, [tag.pk], upload('Name,IP Address\n"Lobby, 1st",127.0.5.2\n'))
    assert result.tagged == 1 and _tagged(tag) == ["50621094752G2"]


def test_already_tagged_printers_take_more_tags(acme, printers, tag):
    first = make_tag(acme, "First")
    printers[0].tags.add(first)
    services.import_tags(acme, [tag.pk], upload("IP Address\n127.0.5.1\n"))
    assert sorted(printers[0].tags.values_list("name", flat=True)) == ["First", "Imported"]


@pytest.mark.parametrize("content,name,message", [
    ("IP Address\n127.0.5.1\n", "printers.xlsx", "The file must be in TXT or CSV format."),
    ("Serial\n123\n", "p.csv", "Line 1: the file must have either IP Address or Serial Number as the header"),
    ("", "p.csv", "Line 1: the file must have either IP Address or Serial Number as the header"),
    ("IP Address\n", "p.csv", "The file must have relevant data along with the required header."),
    ("IP Address\n127.0.5.1\n\n127.0.5.2\n", "p.csv", "Line 3: the file must not have blank lines."),
    ("IP Address\n127.0.5.1\n127.0.5\n", "p.csv", "Line 3: “127.0.5” is not a valid IP address."),
    ("Serial Number\n50621094752G1\n,x\n", "p.csv", "Line 3: no serial number."),
    (b"IP Address\n\xff\xfe\n", "p.csv", "The file must be UTF-8 text (TXT or CSV)."),
])
def test_file_rules_are_reported_and_nothing_is_tagged(acme, printers, tag, content, name, message):
    with pytest.raises(ValidationError) as error:
        services.import_tags(acme, [tag.pk], upload(content, name))
    assert any(message in text for text in error.value.messages), error.value.messages
    assert _tagged(tag) == []


def test_every_bad_line_is_listed(acme, printers, tag):
    with pytest.raises(ValidationError) as error:
        services.import_tags(acme, [tag.pk], upload("IP Address\n127.0.5.1\nnot-an-ip\n \n999.1.1.1\n"))
    assert error.value.messages == ["Line 3: “not-an-ip” is not a valid IP address.",
                                    "Line 4: the file must not have blank lines.",
                                    "Line 5: “999.1.1.1” is not a valid IP address."]
    assert _tagged(tag) == []


def test_file_larger_than_200kb_is_refused(acme, printers, tag):
    lines = "\n".join(f"127.0.{i // 250}.{i % 250 + 1}" for i in range(20_000))
    content = "IP Address\n" + lines + "\n"
    assert len(content) > 200 * 1024
    with pytest.raises(ValidationError, match="The file size must not exceed 200KB."):
        services.import_tags(acme, [tag.pk], upload(content))
    fits = "IP Address\n" + "\n".join(["127.0.5.1"] * 20_000) + "\n"
    assert len(fits) <= 200 * 1024
    assert services.import_tags(acme, [tag.pk], upload(fits)).tagged == 1


def test_tags_must_be_chosen_and_belong_to_the_organization(acme, globex, printers):
    with pytest.raises(ValidationError, match="Select one or more tags."):
        services.import_tags(acme, [], upload("IP Address\n127.0.5.1\n"))
    foreign = make_tag(globex, "Theirs")
    with pytest.raises(ValidationError, match="tags of this organization"):
        services.import_tags(acme, [foreign.pk], upload("IP Address\n127.0.5.1\n"))
    assert not foreign.printers.exists()


# --------------------------------------------------------------------------------------------- page
def test_import_page_shows_the_results_summary(client, acme, printers, tag):
    client.force_login(fleet_admin(acme))
    url = reverse("fleet:tags-import", kwargs={"org_id": acme.pk})
    assert "The file must not have blank lines." in client.get(url).content.decode()
    response = client.post(url, {"tag": [tag.pk], "file": upload("IP Address\n127.0.5.1\n127.0.9.9\n")})
    page = response.content.decode()
    assert response.status_code == 200 and "Tag Printers Results Summary" in page
    assert 'data-testid="tag-summary-tagged">1<' in page and 'data-testid="tag-summary-not-tagged">1<' in page


def test_import_page_without_summary_goes_back(client, acme, printers, tag):
    client.force_login(fleet_admin(acme))
    tags_url = reverse("fleet:tags", kwargs={"org_id": acme.pk})
    response = client.post(reverse("fleet:tags-import", kwargs={"org_id": acme.pk}),
                           {"tag": [tag.pk], "file": upload("IP Address\n127.0.5.1\n"), "next": tags_url})
    assert response.status_code == 302 and response["Location"] == tags_url
    assert _tagged(tag) == ["50621094752G1"]


def test_import_page_lists_the_errors_and_keeps_the_chosen_tags(client, acme, printers, tag):
    client.force_login(fleet_admin(acme))
    response = client.post(reverse("fleet:tags-import", kwargs={"org_id": acme.pk}),
                           {"tag": [tag.pk], "file": upload("IP Address\n127.0.5.1\n\n")})
    page = response.content.decode()
    assert "Nothing was tagged" in page and "Line 3: the file must not have blank lines." in page
    assert f'value="{tag.pk}" checked' in page
    assert _tagged(tag) == []
