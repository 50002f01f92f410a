"""Abusive GraphQL requests are refused with a stable code and a Chinese message before any
resolver runs; unexpected failures are masked, business errors are not."""

from __future__ import annotations

import logging

import pytest

from app.accounts.models import Role
from tests.api import Api, error_codes
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user
from tests.security.support import app_client

PAGE = "query($s: ID!, $n: Int) { registrations(sessionId: $s, first: $n) { totalCount edges { node { id unit { name } } } } }"


@pytest.fixture
def signed_in(backend):
    unit = make_unit(backend.database)
    admin = make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit)
    exam = make_exam_session(backend.database)
    for _ in range(3):
        make_registration(backend.database, unit=unit, exam=exam)
    api = Api(backend.client)
    return api, api.login(admin.username, PASSWORD), exam


def refused(body: dict, code: str) -> str:
    """The one error of a request refused before execution: `code`, no data, a Chinese message."""
    assert body.get("data") is None and error_codes(body) == [code], body
    message = body["errors"][0]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    return message


def test_depth_over_the_limit_is_refused_also_through_fragments(backend, signed_in, resolver_spy):
    _, _, exam = signed_in
    direct = "query($s: ID!) { registrations(sessionId: $s) { edges { node { unit { name } } } } }"  # depth 5
    hidden = """query($s: ID!) { registrations(sessionId: $s) { ...A } }
      fragment A on RegistrationConnection { edges { ...B } }
      fragment B on RegistrationEdge { node { ... on Registration { unit { ...C } } } }
      fragment C on UnitRef { name }"""
    with app_client(backend, graphql_max_depth=5) as client:
        api = Api(client)
        token = api.login(*_admin(backend))
        assert api.data(direct, {"s": exam.id}, token=token) and api.data(hidden, {"s": exam.id}, token=token)
    with app_client(backend, graphql_max_depth=4) as client:
        api = Api(client)
        token = api.login(*_admin(backend))
        resolver_spy.user_reads = resolver_spy.list_calls = 0
        for query in (direct, hidden):
            message = refused(api.run(query, {"s": exam.id}, token=token), "QUERY_TOO_DEEP")
            assert "深度 5" in message and "上限 4" in message, message
        assert resolver_spy.ran == 0


def test_graphiql_introspection_fits_the_default_limits(signed_in):
    import graphql

    api, token, _ = signed_in
    query = graphql.get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                            schema_description=True, input_value_deprecation=True)
    assert api.data(query, token=token)["__schema"]["queryType"]["name"] == "Query"


def test_aliases_over_the_limit_are_refused_also_hidden_in_fragments(signed_in, resolver_spy):
    api, token, exam = signed_in
    ten = " ".join(f"a{i}: me {{ username }}" for i in range(10))
    assert len(api.data(f"{{ {ten} }}", token=token)) == 10
    resolver_spy.user_reads = 0
    eleven = " ".join(f"a{i}: me {{ username }}" for i in range(11))
    assert "11" in refused(api.run(f"{{ {eleven} }}", token=token), "TOO_MANY_ALIASES")
    # Six aliases in a fragment used twice: twelve, though the text shows six.
    fragment = "fragment Six on Query { " + " ".join(f"b{i}: me {{ username }}" for i in range(6)) + " }"
    body = api.run("{ ...Six ... on Query { ...Six } } " + fragment, token=token)
    assert "12" in refused(body, "TOO_MANY_ALIASES")
    assert resolver_spy.ran == 0


def test_oversized_documents_are_refused_before_parsing(signed_in, resolver_spy, monkeypatch):
    import graphql

    api, token, exam = signed_in
    parse, parsed = graphql.parse, []
    monkeypatch.setattr(graphql, "parse", lambda source, *a, **k: parsed.append(source) or parse(source, *a, **k))
    for huge in ("{ me { " + "username " * 3100 + "} }", "mutation { logout { ok " + "ok " * 3100 + "} }"):
        assert "3000" in refused(api.run(huge, token=token), "QUERY_TOO_LARGE")
        assert huge not in parsed, "the oversized document was parsed"
    assert resolver_spy.ran == 0


def test_pages_over_100_are_refused_before_any_resolver(signed_in, resolver_spy):
    api, token, exam = signed_in
    assert api.data(PAGE, {"s": exam.id, "n": 100}, token=token)["registrations"]["totalCount"] == 3
    assert resolver_spy.list_calls == 1
    resolver_spy.user_reads = resolver_spy.list_calls = 0
    message = refused(api.run(PAGE, {"s": exam.id, "n": 101}, token=token), "PAGE_SIZE_TOO_LARGE")
    assert "100" in message and "101" in message
    refused(api.run("{ registrations(sessionId: 1, first: 5000) { totalCount } }", token=token),
            "PAGE_SIZE_TOO_LARGE")
    refused(api.run("query($n: Int = 1000) { units(first: $n) { totalCount } }", token=token), "PAGE_SIZE_TOO_LARGE")
    assert resolver_spy.ran == 0


def test_cost_grows_with_first_times_nesting_and_has_a_limit(backend, signed_in, resolver_spy):
    _, _, exam = signed_in
    with app_client(backend, graphql_max_cost=100) as client:
        api = Api(client)
        token = api.login(*_admin(backend))
        resolver_spy.user_reads = resolver_spy.list_calls = 0
        # 1 + first x (edges + node + unit): 91 for 30, 151 for 50
        assert api.data(PAGE, {"s": exam.id, "n": 30}, token=token)
        assert resolver_spy.list_calls == 1
        resolver_spy.user_reads = resolver_spy.list_calls = 0
        message = refused(api.run(PAGE, {"s": exam.id, "n": 50}, token=token), "QUERY_TOO_COMPLEX")
        assert "151" in message and "100" in message, message
        # Without first a page is 20 items: 61, twice over aliases 122.
        two = "query($s: ID!) { a: registrations(sessionId: $s) { edges { node { unit { name } } } } " \
              "b: registrations(sessionId: $s) { edges { node { unit { name } } } } }"
        assert "122" in refused(api.run(two, {"s": exam.id}, token=token), "QUERY_TOO_COMPLEX")
        assert resolver_spy.ran == 0


def _admin(backend) -> tuple[str, str]:
    unit = make_unit(backend.database)
    return make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD


def test_json_batches_are_refused(signed_in, resolver_spy):
    api, token, exam = signed_in
    response = api.client.post("/graphql", json=[{"query": "{ me { username } }"}] * 2,
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert refused(response.json(), "BATCH_NOT_SUPPORTED")
    assert resolver_spy.ran == 0


def test_mutations_by_get_are_refused_and_queries_by_get_answered(signed_in, resolver_spy):
    api, token, exam = signed_in
    headers = {"Authorization": f"Bearer {token}"}
    response = api.client.get("/graphql", params={"query": "mutation { logout { ok } }"}, headers=headers)
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    refused(response.json(), "METHOD_NOT_ALLOWED")
    assert resolver_spy.ran == 0
    response = api.client.get("/graphql", params={"query": "{ me { username } }"}, headers=headers)
    assert response.status_code == 200 and response.json()["data"]["me"]["username"]
    assert api.data("{ me { username } }", token=token)  # the token was not revoked by the GET


def test_production_turns_introspection_and_graphiql_off(backend, resolver_spy):
    html = {"Accept": "text/html"}
    with app_client(backend) as client:
        assert client.get("/graphql", headers=html).status_code == 200  # development: GraphiQL
        assert Api(client).data("{ __schema { queryType { name } } }")
    with app_client(backend, environment="production", secret_key="a-production-secret-for-tests") as client:
        page = client.get("/graphql", headers=html)
        assert page.status_code >= 400 and "graphiql" not in page.text.lower()
        api = Api(client)
        for query in ("{ __schema { queryType { name } } }", '{ __type(name: "ErrorCode") { name } }',
                      "query { ...F } fragment F on Query { __schema { types { name } } }"):
            refused(api.run(query), "INTROSPECTION_DISABLED")
        assert api.data("{ __typename }") == {"__typename": "Query"}
    assert resolver_spy.ran == 0


def test_unexpected_errors_are_masked_and_logged_with_the_request_id(signed_in, monkeypatch, caplog):
    api, token, exam = signed_in
    from app.registrations import service

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail 450103")

    monkeypatch.setattr(service, "list_registrations", explode)
    with caplog.at_level(logging.DEBUG):
        body = api.run(PAGE, {"s": exam.id}, token=token)
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    error = body["errors"][0]
    assert error["message"].startswith("服务器内部错误") and "secret" not in str(body)
    request_id = error["extensions"]["requestId"]
    assert request_id in error["message"]
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].levelno == logging.ERROR and logged[0].exc_info, "the request id is not in the logs"


def test_business_and_rights_errors_are_not_masked(signed_in):
    api, token, exam = signed_in
    errors = api.data("mutation($id: ID!) { deleteRegistration(id: $id) { errors { code message } } }",
                      {"id": "999999"}, token=token)["deleteRegistration"]["errors"]
    assert errors == [{"code": "NOT_FOUND", "message": "报名记录不存在或您无权查看"}] or errors[0]["code"] == "NOT_FOUND"
    body = api.run("{ me { username } }")
    assert error_codes(body) == ["UNAUTHENTICATED"] and "请先登录" in body["errors"][0]["message"]
    body = api.run("{ smsMessages { totalCount } }", token=token)
    assert error_codes(body) == ["FORBIDDEN"]


def test_every_kind_of_abuse_in_one_table(signed_in, resolver_spy):
    """Prints the suite's figures: inputs tried, refused before any resolver, 5xx seen."""
    api, token, exam = signed_in
    auth = {"Authorization": f"Bearer {token}"}
    aliases = " ".join(f"a{i}: me {{ username }}" for i in range(11))
    graphql_inputs = {
        "QUERY_TOO_LARGE": {"query": "{ me { " + "username " * 3001 + "} }"},
        "TOO_MANY_ALIASES": {"query": f"{{ {aliases} }}"},
        "PAGE_SIZE_TOO_LARGE": {"query": PAGE, "variables": {"s": str(exam.id), "n": 1000}},
        "QUERY_TOO_COMPLEX": {"query": "{ " + " ".join(
            f"r{i}: registrations(sessionId: 1, first: 100) {{ edges {{ node {{ unit {{ name }} history {{ actor "
            f"{{ name }} }} blockers {{ code }} }} }} }}" for i in range(10)) + " }"},
    }
    tried = refused_count = server_errors = 0
    for code, body in graphql_inputs.items():
        response = api.client.post("/graphql", json=body, headers=auth)
        tried += 1
        server_errors += response.status_code >= 500
        refused_count += error_codes(response.json()) == [code]
    http_inputs = [
        ("BATCH_NOT_SUPPORTED", lambda: api.client.post("/graphql", json=[{"query": "{ me { username } }"}],
                                                        headers=auth)),
        ("METHOD_NOT_ALLOWED", lambda: api.client.get("/graphql", params={"query": "mutation { logout { ok } }"},
                                                      headers=auth)),
        ("PREFLIGHT_REQUIRED", lambda: api.client.post("/graphql", files={"0": ("a.xlsx", b"x")},
                                                       data={"operations": "{}", "map": "{}"}, headers=auth)),
        ("REQUEST_TOO_LARGE", lambda: api.client.post("/graphql", content=b"{" + b" " * (3 << 20) + b"}",
                                                      headers={**auth, "Content-Type": "application/json"})),
    ]
    for code, send in http_inputs:
        response = send()
        tried += 1
        server_errors += response.status_code >= 500
        refused_count += 400 <= response.status_code < 500 and error_codes(response.json()) == [code]
    print(f"GraphQL and HTTP abuse: {tried} inputs tried, {refused_count} refused with their code "
          f"before any resolver ran ({resolver_spy.ran} resolver runs), {server_errors} 5xx")
    assert (refused_count, server_errors, resolver_spy.ran) == (tried, 0, 0)
