"""Strawberry GraphQL: the root Query and Mutation built from each feature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import strawberry
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult

from schema.accounts import AccountMutations, AccountQueries
from schema.audit import AuditQueries
from schema.calendar import CalendarMutations, CalendarQueries
from schema.documents import DocumentMutations, DocumentQueries
from schema.errors import CloseSession, ErrorPolicy
from schema.execution import CachedDocuments
from schema.execution import Schema as ExecutingSchema
from schema.imports import ImportMutations, ImportQueries, JobSubscriptions
from schema.jobs import JobMutations, JobQueries
from schema.limits import QueryLimits, query_limits, token_refusal
from schema.observed import OperationObserved
from schema.reference import ReferenceMutations, ReferenceQueries
from schema.registrations import RegistrationMutations, RegistrationQueries
from schema.reviews import ReviewMutations
from schema.scalars import DESCRIBED_SCALARS
from schema.sms import SmsMutations, SmsQueries
from schema.statistics import StatisticsMutations, StatisticsQueries
from schema.text_inputs import TextInputs
from schema.unit_requests import UnitRequestMutations, UnitRequestQueries
from schema.units import UnitMutations, UnitQueries

SDL_PATH = Path(__file__).with_name("schema.graphql")

Query = merge_types("Query", (
    AccountQueries, ReferenceQueries, UnitQueries, RegistrationQueries, JobQueries, UnitRequestQueries,
    CalendarQueries, SmsQueries, ImportQueries, DocumentQueries, StatisticsQueries, AuditQueries,
))
Mutation = merge_types("Mutation", (
    AccountMutations, UnitMutations, RegistrationMutations, ReviewMutations, UnitRequestMutations, JobMutations,
    ReferenceMutations, CalendarMutations, SmsMutations, ImportMutations, DocumentMutations, StatisticsMutations,
))
Query.__strawberry_definition__.description = "查询 Reads; lists are cursor connections limited to the caller's jurisdiction"
Mutation.__strawberry_definition__.description = (
    "操作 Changes; business-rule failures come back in the payload's errors, missing rights as GraphQL errors")


class Schema(ExecutingSchema):
    limits = QueryLimits()

    def process_errors(self, errors, execution_context=None) -> None:  # noqa: ANN001
        """Logging happens in ErrorPolicy, once, for unexpected errors only."""

    async def execute(self, query: str | None, *args: Any, **kwargs: Any) -> ExecutionResult:
        # Before anything parses the document (choosing the thread for a query does): an oversized
        # one would cost seconds of parsing only to be refused.
        refused = token_refusal(query, self.limits.max_tokens)
        if refused is not None:
            return ExecutionResult(data=None, errors=[refused])
        return await super().execute(query, *args, **kwargs)


def build_schema(limits: QueryLimits | None = None, *, query_threads: int | None = None) -> strawberry.Schema:
    """`limits` (refused documents, see schema/limits.py) come first: they act before parsing and execution.
    `query_threads`: how many queries execute at once (see schema/execution.py)."""
    limits = limits or QueryLimits()
    schema = Schema(query=Query, mutation=Mutation, subscription=JobSubscriptions,
                    extensions=[OperationObserved, query_limits(limits), TextInputs, CachedDocuments, ErrorPolicy,
                                CloseSession],
                    scalar_overrides=DESCRIBED_SCALARS, query_threads=query_threads)
    schema.limits = limits
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
