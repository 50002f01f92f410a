"""Which media type a GraphQL response is sent as, by the client's Accept header."""

from __future__ import annotations

import pytest
from graphql import GraphQLError
from graphql.execution import ExecutionResult

from schema.http_media import GRAPHQL_RESPONSE_JSON, JSON, is_request_error, negotiate, reply_for


@pytest.mark.parametrize(("accept", "chosen"), [
    (None, JSON),
    ("", JSON),
    ("*/*", JSON),
    ("application/*", JSON),
    ("application/json", JSON),
    ("text/html", JSON),
    ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
    ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
    ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
    ("application/json, application/graphql-response+json;q=0.5", JSON),
    ("application/graphql-response+json;q=0", JSON),
    ("Application/GraphQL-Response+JSON; charset=utf-8, */*;q=0.1", GRAPHQL_RESPONSE_JSON),
    ("application/graphql-response+json;q=bad, application/json", JSON),
])
def test_negotiation(accept, chosen):
    assert negotiate(accept) == chosen


def test_only_requests_that_never_ran_get_400_and_no_data():
    syntax = ExecutionResult(data=None, errors=[GraphQLError("Syntax Error")])
    field = ExecutionResult(data=None, errors=[GraphQLError("请先登录", path=["me"])])
    partial = ExecutionResult(data={"me": None}, errors=[GraphQLError("x", path=["me"])])
    assert is_request_error(syntax) and not is_request_error(field) and not is_request_error(partial)
    assert not is_request_error(ExecutionResult(data={"me": None}))

    assert (reply_for(GRAPHQL_RESPONSE_JSON, syntax).status_code, reply_for(GRAPHQL_RESPONSE_JSON, syntax).send_data) \
        == (400, False)
    assert reply_for(GRAPHQL_RESPONSE_JSON, field).status_code == 200
    assert reply_for(JSON, syntax).status_code == 200 and reply_for(JSON, syntax).send_data
    assert reply_for(JSON, syntax).content_type == "application/json; charset=utf-8"
