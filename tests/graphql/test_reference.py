"""Divisions and hotlines: readable without sign-in, edited by operators."""

from __future__ import annotations

from app.accounts.models import Role
from tests.api import Api, error_codes
from tests.factories import PASSWORD, make_user

CONTACTS = """query($d: String) { serviceContacts(divisionCode: $d) {
  divisionCode label hotline supervisionPhone serviceHours } }"""
UPDATE = """mutation($d: String!, $i: ServiceContactInput!) { updateServiceContact(divisionCode: $d, input: $i) {
  contact { divisionCode hotline } errors { code field message } } }"""


def test_division_tree_and_options_need_no_sign_in(backend):
    api = Api(backend.client)
    region = api.data("{ divisions { code name level } }")["divisions"]
    assert region == [{"code": "450000", "name": "广西壮族自治区", "level": "REGION"}]
    cities = api.data('{ divisions(parentCode: "450000") { code name } }')["divisions"]
    assert len(cities) == 14 and cities[0] == {"code": "450100", "name": "南宁市"}
    counties = api.data('{ divisions(parentCode: "450100") { name level } }')["divisions"]
    assert {"name": "横州市", "level": "COUNTY"} in counties
    options = api.data("{ registrationOptions { ethnicities educations } }")["registrationOptions"]
    assert "壮族" in options["ethnicities"] and "大学本科" in options["educations"]


def test_each_user_gets_the_hotline_of_their_city_and_the_region(backend):
    api = Api(backend.client)
    contacts = api.data(CONTACTS, {"d": "450102"})["serviceContacts"]
    assert [c["divisionCode"] for c in contacts] == ["450100", "450000"]
    assert all(c["supervisionPhone"] == "0771-5770807" for c in contacts)
    assert "8:00" in contacts[0]["serviceHours"]
    assert error_codes(api.run(CONTACTS, {"d": "999999"})) == ["NOT_FOUND"]

    operator = make_user(backend.database, role=Role.SUPERADMIN)
    reviewer = make_user(backend.database, role=Role.CITY_REVIEWER, division="450100")
    published = api.data(UPDATE, {"d": "450100", "i": {"hotline": "0771-1234567"}},
                         token=api.login(operator.username, PASSWORD))["updateServiceContact"]
    assert published == {"contact": {"divisionCode": "450100", "hotline": "0771-1234567"}, "errors": []}
    assert api.data(CONTACTS, {"d": "450102"})["serviceContacts"][0]["hotline"] == "0771-1234567"
    assert error_codes(api.run(UPDATE, {"d": "450100", "i": {"hotline": "1"}},
                               token=api.login(reviewer.username, PASSWORD))) == ["FORBIDDEN"]
