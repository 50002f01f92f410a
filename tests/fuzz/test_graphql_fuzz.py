"""Property-based fuzz of the whole GraphQL schema as signed-in users of several roles.

hypothesis-graphql writes valid queries and mutations from the schema itself (every root field, random
selections, random argument values), plus a share of documents that break the schema once, and each
goes to the real ASGI app with its workers. Whatever it sends, the answer is never a 5xx nor
INTERNAL_SERVER_ERROR: business errors, missing rights and the query limits (depth, aliases, cost) are
answers with their own codes. The upload mutations are fuzzed with real files in test_upload_corpus.py;
logout and changePassword are left out because they would end the fuzzing user's own sign-in.
EXAMREG_FUZZ_EXAMPLES sets the examples per role and backend (100; a longer run: 2000).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from app.accounts.models import Role
from schema import export_sdl
from tests.api import Api
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user
from tests.fuzz.support import Tally

EXAMPLES = int(os.environ.get("EXAMREG_FUZZ_EXAMPLES", "100"))
SCHEMA = graphql.build_schema(export_sdl())
ENDS_OWN_SIGN_IN = {"logout", "changePassword"}
MUTATIONS = sorted(
    name for name, field in SCHEMA.mutation_type.fields.items()
    if name not in ENDS_OWN_SIGN_IN and not any(
        graphql.get_named_type(arg.type).name == "Upload" for arg in field.args.values()))
SCALARS = {
    # Mostly well-formed values, sometimes any text: the scalars' parsing is fuzzed too.
    "Date": st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12)).map(nodes.String),
    "DateTime": st.one_of(st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
                          st.text(max_size=30)).map(nodes.String),
}
# One root field per document, each field equally likely: a document with many root fields is refused
# whole when one argument breaks a limit (say first: 402), and the fields behind it would go untried.
VALID = st.one_of(
    [queries(SCHEMA, fields=[name], custom_scalars=SCALARS) for name in SCHEMA.query_type.fields]
    + [mutations(SCHEMA, fields=[name], custom_scalars=SCALARS) for name in MUTATIONS])
# Documents with one schema violation each (a wrong type, a missing argument): refused by validation.
INVALID = st.one_of(queries(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
                    mutations(SCHEMA, fields=MUTATIONS, custom_scalars=SCALARS, mode=Mode.NEGATIVE))
OPERATIONS = st.one_of(VALID, VALID, VALID, INVALID)  # three valid documents to one invalid
# Worker threads of the embedded broker draw from the global `random` while an example is being generated.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
ROLES = {
    "unit admin": {"role": Role.UNIT_ADMIN},
    "region reviewer": {"role": Role.REGION_REVIEWER, "division": "450000"},
    "operator": {"role": Role.SUPERADMIN},
}


@pytest.mark.parametrize("role", ROLES)
def test_generated_operations_never_fail_on_the_server(backend, role):
    # given a unit with records in an open session, so that small generated ids find real rows
    db = backend.database
    unit = make_unit(db)
    exam = make_exam_session(db)
    for _ in range(3):
        make_registration(db, unit=unit, exam=exam)
    extra = {"unit": unit} if ROLES[role]["role"] == Role.UNIT_ADMIN else {}
    user = make_user(db, **ROLES[role], **extra)
    api = Api(backend.client)
    headers = {"Authorization": f"Bearer {api.login(user.username, PASSWORD)}"}
    tally = Tally(f"GraphQL schema fuzz as {role} ({backend.name})")

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(document=OPERATIONS)
    def answered_without_server_error(document: str) -> None:
        response = backend.client.post("/graphql", json={"query": document}, headers=headers)
        try:
            body = response.json()
        except ValueError:
            body = None
        ok = tally.answer(document, response.status_code, body)
        if response.status_code >= 400 or (body or {}).get("errors"):
            tally.rejected += 1
        assert ok and "Traceback" not in response.text, f"{document}\n→ {response.status_code} {response.text}"

    try:
        answered_without_server_error()
    finally:
        tally.report()
