"""Composition root: the ASGI app wiring settings, database, task queue and GraphQL."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from urllib.parse import quote

import orjson
import sqlalchemy as sa
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

import app.documents.links  # noqa: F401  registers the photo and PDF download builders
import app.reviews.export  # noqa: F401  registers its download builder
from app import dashboard, downloads
from app.audit.addresses import client_address
from app.audit.service import CLIENT_ADDRESS
from app.body_limits import BodySizeLimit, upload_or_body_limit
from app.db import Database
from app.errors import AccessError, AppError
from app.imports import downloads as imports_downloads
from app.logs import RequestIds
from app.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from app.metrics import Metrics, RecordedFigures, RequestMetrics
from app.settings import Settings
from schema import build_schema, http_guards, http_media
from schema.context import Context, bearer_token
from schema.errors import shape_errors
from schema.limits import QueryLimits
from workers.broker import TaskQueue

log = logging.getLogger("examreg")


class ExamregGraphQL(GraphQL):
    """Strawberry's ASGI view with our per-request context."""

    def __init__(self, database: Database, **kwargs) -> None:  # noqa: ANN003
        settings = database.settings
        super().__init__(build_schema(QueryLimits.from_settings(settings), query_threads=settings.graphql_query_threads),
                         **kwargs)
        self.database = database

    def parse_json(self, data):  # noqa: ANN001, ANN201
        parsed = super().parse_json(data)
        http_guards.refuse_batch(parsed)
        return parsed

    async def execute_single(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as error:
            cause = error.__cause__
            if isinstance(cause, InvalidOperationTypeError) and cause.operation_type == OperationType.MUTATION:
                raise http_guards.mutation_by_get() from error
            raise

    async def parse_http_body(self, request):  # noqa: ANN001, ANN201
        # A JSON body that is a string or a number is a client error, not a crash.
        try:
            return await super().parse_http_body(request)
        except HTTPException:
            raise
        except (AttributeError, TypeError, ValueError) as exc:
            raise HTTPException(400, "请求体不是有效的 GraphQL 请求：应为 JSON 对象 {\"query\": ..., \"variables\": {...}}") from exc

    async def run(self, request, context=UNSET, root_value=UNSET):  # noqa: ANN001, ANN201
        try:
            if request.scope["type"] == "http":
                http_guards.require_preflight(request.method, request.headers)
            response = await super().run(request, context, root_value)
        except http_guards.RequestRefused as refused:
            return refused.response()
        reply: http_media.Reply | None = getattr(request.state, "graphql_reply", None)
        if reply is not None and isinstance(response, Response):
            response.headers["content-type"] = reply.content_type
            if response.status_code == 200:
                response.status_code = reply.status_code
        return response

    async def process_result(self, request, result):  # noqa: ANN001, ANN201
        if result.errors:
            result.errors = shape_errors(result.errors)
        body = await super().process_result(request, result)
        # Content negotiation (GraphQL over HTTP): the media type and status go on the response in run().
        reply = http_media.reply_for(http_media.negotiate(request.headers.get("accept")), result)
        if not reply.send_data:
            body.pop("data", None)
        request.state.graphql_reply = reply
        return body

    def encode_json(self, data: object) -> str:
        # orjson: a page of 100 registrations is encoded several times faster than by the json module.
        return orjson.dumps(data).decode()

    async def get_context(self, request, response) -> Context:  # noqa: ANN001
        client = client_address(request.client.host if request.client else None,
                                request.headers.get("x-forwarded-for"), self.database.settings.trusted_proxies)
        return Context(
            database=self.database, token=bearer_token(request.headers), client_address=client,
            request=request, response=response,
        )


def create_app(settings: Settings | None = None, *, run_worker: bool | None = None) -> Starlette:
    """The whole service; with the in-process broker the worker threads live in this process."""
    settings = settings or Settings()
    database = Database(settings)
    metrics = Metrics()
    queue = TaskQueue(database, metrics=metrics)
    run_worker = queue.in_process if run_worker is None else run_worker
    recorded = RecordedFigures(database, queue.depths)
    graphql = ExamregGraphQL(
        database,
        graphql_ide=None if settings.production else "graphiql",
        multipart_uploads_enabled=True,
    )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            with database.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001  any failure means not ready
            log.warning("readiness: database unavailable: %s", exc)
            checks["database"] = "unavailable"
        try:
            queue.ping()
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001
            log.warning("readiness: broker unavailable: %s", exc)
            checks["broker"] = "unavailable"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks,
                             "broker": queue.kind}, status_code=200 if ready else 503)

    async def download(request: Request) -> Response:
        try:
            with database.session() as session:
                session.info[CLIENT_ADDRESS] = client_address(
                    request.client.host if request.client else None, request.headers.get("x-forwarded-for"),
                    settings.trusted_proxies)
                found = downloads.open_link(session, settings, request.path_params["token"])
        except (AppError, AccessError) as error:
            return PlainTextResponse(error.message, status_code=404 if isinstance(error, AppError) else 403)
        except ValueError:
            return PlainTextResponse("下载链接无效", status_code=404)
        disposition = f"attachment; filename*=UTF-8''{quote(found.filename)}"
        return Response(found.content, media_type=found.media_type,
                        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})

    async def template(_: Request) -> Response:
        found = imports_downloads.template_download()
        return Response(found.content, media_type=found.media_type,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}"})

    async def metrics_endpoint(_: Request) -> Response:
        # Reads the database and the broker: off the event loop.
        return Response(await run_in_threadpool(metrics.exposition, recorded), media_type=METRICS_CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if run_worker:
            queue.start_worker()
        # What is loaded by now (modules, the schema, the mappers: some 150,000 objects) lives as long
        # as the server. Frozen, it is left out of the collector's full passes, which otherwise walk it
        # all every few seconds under load, a tenth of a second each time.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            queue.close()
            database.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/downloads/{token}", download),
            Route("/template.xlsx", template),
            *dashboard.routes(),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )

    app.add_middleware(BodySizeLimit, limit_for=upload_or_body_limit(
        upload_bytes=settings.http_max_upload_bytes, body_bytes=settings.http_max_body_bytes,
        upload_paths=frozenset({"/graphql"})))
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.add_middleware(RequestIds)
    app.state.database = database
    app.state.queue = queue
    app.state.settings = settings
    return app
