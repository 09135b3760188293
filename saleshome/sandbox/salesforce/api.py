"""The sandbox org's REST API: routing, authentication, the API budget and every resource.

Transport-free: :meth:`SalesforceApi.handle` takes a :class:`Request` and returns a
:class:`Response`; ``server.py`` puts it on HTTPS.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from . import conditional, describes, listviews
from .access import AccessCache, UserAccess
from .auth import OAuthError, SessionRegistry, TokenEndpoint
from .bulk import BulkJobs, QueryJob, encode_locator
from .cursors import CursorRegistry
from .errors import ApiError, not_found
from .http_messages import Request, Response
from .ids import is_valid_id, to_18
from .policy import ApiBudget, Fault, FaultPlan
from .records import format_datetime, json_records, record_json_sql
from .schema import FieldDef, ObjectDef
from .soql import CompiledQuery, SoqlError, compile_query
from .store import OrgStore
from .uiapi import UiApi

if TYPE_CHECKING:
    from .oauth_web import WebServerFlow

API_VERSION = "62.0"
SUPPORTED_VERSIONS = [f"{v}.0" for v in range(50, 63)]
_RELEASES = {62: "Winter '25", 61: "Summer '24", 60: "Spring '24", 59: "Winter '24", 58: "Summer '23"}


def _parse_time(text: str | None, name: str) -> datetime:
    if not text:
        raise ApiError(400, "MISSING_ARGUMENT", f"{name} must be specified")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise ApiError(400, "INVALID_REPLICATION_DATE", f"Invalid {name} date: {text}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(second=0, microsecond=0)  # the API ignores seconds


Handler = Callable[[Request, "re.Match[str]", str], Response]


def _ok(resource: Callable[[Request, re.Match[str], str], Any]) -> Handler:
    """A resource that gives a JSON payload, as a handler answering 200 with it (the UI API's)."""
    return lambda req, m, user: Response.of(200, resource(req, m, user))


class SalesforceApi:
    """Everything the org answers, for one instance URL."""

    def __init__(
        self, store: OrgStore, token_endpoint: TokenEndpoint, sessions: SessionRegistry, budget: ApiBudget,
        faults: FaultPlan, instance_url: str,
    ) -> None:
        self.store = store
        self.tokens = token_endpoint
        self.sessions = sessions
        self.budget = budget
        self.faults = faults
        self.instance_url = instance_url
        self.cursors = CursorRegistry()
        self.accesses = AccessCache(store)
        self.bulk = BulkJobs()
        self.control: Callable[[Request], Response] | None = None
        self.oauth: WebServerFlow | None = None  # authorize, login, consent, revoke (oauth_web.py)
        v = r"/services/data/v(?P<v>\d+\.\d)"
        obj = r"/sobjects/(?P<obj>\w+)"
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(rf"{v}/?"), self._resources),
            ("GET", re.compile(rf"{v}/limits/?"), self._limits),
            ("GET", re.compile(rf"{v}/sobjects/?"), self._describe_global),
            ("GET", re.compile(rf"{v}{obj}/?"), self._sobject_basic),
            ("GET", re.compile(rf"{v}{obj}/describe/?"), self._describe),
            ("GET", re.compile(rf"{v}{obj}/updated/?"), self._updated),
            ("GET", re.compile(rf"{v}{obj}/deleted/?"), self._deleted),
            ("GET", re.compile(rf"{v}{obj}/listviews/?"), self._listviews),
            ("GET", re.compile(rf"{v}{obj}/listviews/(?P<lv>\w+)/?"), self._listview),
            ("GET", re.compile(rf"{v}{obj}/listviews/(?P<lv>\w+)/describe/?"), self._listview_describe),
            ("GET", re.compile(rf"{v}{obj}/listviews/(?P<lv>\w+)/results/?"), self._listview_results),
            ("POST", re.compile(rf"{v}{obj}/?"), self._create),
            ("GET", re.compile(rf"{v}{obj}/(?P<id>[^/]+)/?"), self._get_record),
            ("PATCH", re.compile(rf"{v}{obj}/(?P<id>[^/]+)/?"), self._update_record),
            ("DELETE", re.compile(rf"{v}{obj}/(?P<id>[^/]+)/?"), self._delete_record),
            ("GET", re.compile(rf"{v}/(?P<kind>query|queryAll)/?"), self._query),
            ("GET", re.compile(rf"{v}/(?P<kind>query|queryAll)/(?P<locator>[\w-]+)/?"), self._query_more),
            ("POST", re.compile(rf"{v}/jobs/query/?"), self._bulk_create),
            ("GET", re.compile(rf"{v}/jobs/query/?"), self._bulk_list),
            ("GET", re.compile(rf"{v}/jobs/query/(?P<job>\w+)/?"), self._bulk_info),
            ("PATCH", re.compile(rf"{v}/jobs/query/(?P<job>\w+)/?"), self._bulk_abort),
            ("DELETE", re.compile(rf"{v}/jobs/query/(?P<job>\w+)/?"), self._bulk_delete),
            ("GET", re.compile(rf"{v}/jobs/query/(?P<job>\w+)/results/?"), self._bulk_results),
            ("GET", re.compile(r"/id/(?P<org>\w+)/(?P<user>\w+)/?"), self._identity),
            ("GET", re.compile(r"/services/oauth2/userinfo/?"), self._userinfo),
        ]
        self.ui_api = UiApi(store, instance_url, self.access)
        self._routes += [(method, regex, _ok(handler)) for method, regex, handler in self.ui_api.routes(v)]

    # ------------------------------------------------------------------------ dispatch
    def handle(self, req: Request) -> Response:
        fault = self.faults.take(req.method, req.path)
        if fault is not None:
            early = self._apply_fault(req, fault)
            if early is not None:
                return early
        try:
            response = self._dispatch(req)
            if fault is not None and fault.kind == "rewrite" and response.body:
                response.body = json.dumps({**json.loads(response.body), **(fault.fields or {})}).encode()
            return response
        except ApiError as exc:
            return self._error(exc)
        except OAuthError as exc:
            return Response.of(exc.status, exc.body())

    def _apply_fault(self, req: Request, fault: Fault) -> Response | None:
        if fault.kind in ("job_failed", "repeat_page", "rewrite"):
            req.fault = fault
            return None
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return None
        if fault.kind == "drop":
            return Response(0, drop=True)
        if fault.kind == "expire_session":
            self.sessions.expire_all()
            return None
        if fault.kind == "limit_exceeded":
            return self._error(ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
        if fault.kind == "invalid_locator":
            return self._error(ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator"))
        if fault.error_code:
            return self._error(ApiError(fault.status, fault.error_code, fault.message or fault.error_code))
        if fault.status == 503:
            return self._error(ApiError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable, please retry"))
        return self._error(ApiError(
            fault.status, "UNKNOWN_EXCEPTION",
            "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1)",
        ))

    def _error(self, exc: ApiError) -> Response:
        return Response.of(exc.status, exc.body(), **{"Sforce-Limit-Info": self.budget.header()})

    def _dispatch(self, req: Request) -> Response:
        path = req.path
        if path.startswith("/_sandbox/") and self.control is not None:
            return self.control(req)
        if self.oauth is not None and path.startswith("/services/oauth2/"):
            answer = self.oauth.handle(req)
            if answer is not None:
                return answer
        if path == "/services/oauth2/token" and req.method == "POST":
            form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
            return Response.of(200, self.tokens.handle(form, self.instance_url))
        if path.rstrip("/") == "/services/data":
            return Response.of(200, [
                {"label": _RELEASES.get(int(float(v)), f"API {v}"), "url": f"/services/data/v{v}", "version": v}
                for v in SUPPORTED_VERSIONS
            ])
        candidates = [(m, r, h) for m, r, h in self._routes if r.fullmatch(path)]
        if not candidates:
            raise not_found()
        route = next(((r, h) for m, r, h in candidates if m == req.method), None)
        if route is None:
            allowed = ",".join(sorted({m for m, _, _ in candidates}))
            raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{req.method}' not allowed. Allowed are {allowed}")
        regex, handler = route
        match = regex.fullmatch(path)
        assert match is not None
        if "v" in match.groupdict() and match["v"] not in SUPPORTED_VERSIONS:
            raise not_found()
        session = self.sessions.check(req.headers.get("authorization"))
        self.budget.spend()
        response = handler(req, match, session.user_id)
        response.headers.setdefault("Sforce-Limit-Info", self.budget.header())
        return response

    # ------------------------------------------------------------------------ helpers
    def _object(self, name: str) -> ObjectDef:
        obj = self.store.catalog.get(name)
        if obj is None:
            raise not_found()
        return obj

    def access(self, user: str) -> UserAccess:
        """The calling user's access now (profile, permission sets, sharing): see ``access.py``."""
        return self.accesses.get(user)

    def _readable(self, name: str, access: UserAccess) -> ObjectDef:
        """The object, when this user may read it (else NOT_FOUND, as for an object that does not exist)."""
        obj = self._object(name)
        if not access.can_read(obj):
            raise not_found()
        return obj

    def _compile(self, soql: str, *, include_deleted: bool, stable_order: bool = True,
                 access: UserAccess | None = None) -> CompiledQuery:
        try:
            return compile_query(soql, self.store.catalog, now=self.store.clock.now(), include_deleted=include_deleted,
                                 stable_order=stable_order, access=access)
        except SoqlError as exc:
            raise ApiError(400, exc.error_code, exc.message) from None

    def _run(self, query: CompiledQuery) -> Any:
        return self.store.read(query.sql, query.params)

    def _base(self, v: str) -> str:
        return f"/services/data/v{v}"

    # ------------------------------------------------------------------------ resources
    def _resources(self, req: Request, m: re.Match[str], user: str) -> Response:
        base = self._base(m["v"])
        names = ["tooling", "metadata", "eclair", "folders", "prechatForms", "chatter", "tabs", "appMenu", "quickActions",
                 "queryAll", "commerce", "wave", "analytics", "search", "identity", "composite", "parameterizedSearch",
                 "theme", "nouns", "recent", "licensing", "limits", "async-queries", "query", "jobs", "sobjects",
                 "actions", "support"]
        body = {n: f"{base}/{n}" for n in names}
        body["identity"] = f"{self.instance_url}/id/{self.sessions.org_id}/{user}"
        return Response.of(200, body)

    def _limits(self, req: Request, m: re.Match[str], user: str) -> Response:
        return Response.of(200, self.budget.limits())

    def _describe_global(self, req: Request, m: re.Match[str], user: str) -> Response:
        access = self.access(user)
        return Response.of(200, {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [describes.global_entry(o, m["v"], access) for o in self.store.catalog if access.can_read(o)],
        })

    def _sobject_basic(self, req: Request, m: re.Match[str], user: str) -> Response:
        access = self.access(user)
        obj = self._readable(m["obj"], access)
        return Response.of(200, {"objectDescribe": describes.global_entry(obj, m["v"], access), "recentItems": []})

    def _describe(self, req: Request, m: re.Match[str], user: str) -> Response:
        access = self.access(user)
        obj = self._readable(m["obj"], access)
        return Response.of(200, describes.describe(obj, m["v"], self.store.catalog, access,
                                                   picklists=self.store.picklists))

    # ------------------------------------------------------------------------ replication
    def _window(self, req: Request, days: int) -> tuple[datetime, datetime, datetime]:
        start = _parse_time(req.query.get("start"), "start")
        end = _parse_time(req.query.get("end"), "end")
        now = self.store.clock.now().replace(second=0, microsecond=0)
        if end <= start + timedelta(minutes=1):
            raise ApiError(400, "INVALID_REPLICATION_DATE", "EndDate must be more than one minute greater than StartDate")
        earliest = now - timedelta(days=days)
        if start < earliest:
            raise ApiError(
                400, "INVALID_REPLICATION_DATE",
                f"startDate must chronologically precede endDate and be within the last {days} days",
            )
        return start, min(end, now), earliest

    def _updated(self, req: Request, m: re.Match[str], user: str) -> Response:
        access = self.access(user)
        obj = self._readable(m["obj"], access)
        start, covered, _ = self._window(req, 30)
        stamp = "SystemModstamp" if obj.field("SystemModstamp") else "LastModifiedDate"
        live = ' AND NOT "IsDeleted"' if obj.soft_deletes else ""
        visible, visible_params = access.sharing_filter(obj)
        table = self.store.read(
            f'SELECT "Id" FROM "{obj.name}" WHERE "{stamp}" >= ? AND "{stamp}" < ?{live} AND ({visible}) ORDER BY "Id"',
            [start.replace(tzinfo=None), covered.replace(tzinfo=None), *visible_params],
        )
        if table.num_rows > 600_000:
            raise ApiError(400, "EXCEEDED_ID_LIMIT", "record limit reached. narrow the range of start and end dates")
        return Response.of(200, {"ids": table.column("Id").to_pylist(), "latestDateCovered": format_datetime(covered)})

    def _deleted(self, req: Request, m: re.Match[str], user: str) -> Response:
        obj = self._object(m["obj"])
        start, covered, earliest = self._window(req, 15)
        table = self.store.read(
            'SELECT "Id", "deletedDate" FROM "_recycle_bin" WHERE object = ? AND "deletedDate" >= ? '
            'AND "deletedDate" < ? ORDER BY "deletedDate", "Id"',
            [obj.name, start.replace(tzinfo=None), covered.replace(tzinfo=None)],
        )
        records = [{"deletedDate": format_datetime(r["deletedDate"]), "id": r["Id"]} for r in table.to_pylist()]
        return Response.of(200, {
            "deletedRecords": records,
            "earliestDateAvailable": format_datetime(earliest),
            "latestDateCovered": format_datetime(covered),
        })

    # ------------------------------------------------------------------------ records
    def _record_id(self, obj: ObjectDef, raw: str) -> str:
        if not is_valid_id(raw):
            raise ApiError(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {raw}")
        record_id = to_18(raw)
        if record_id[:3] != obj.key_prefix:
            raise not_found()
        return record_id

    def _create(self, req: Request, m: re.Match[str], user: str) -> Response:
        access = self.access(user)
        obj = self._readable(m["obj"], access)
        values = req.json()
        if not isinstance(values, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object of field values")
        values.pop("attributes", None)
        if obj.createable:
            describes.check_writable(obj, access, values, creating=True)
        record_id = self.store.create(obj.name, values, user_id=user, check_access=True)
        return Response.of(201, {"id": record_id, "success": True, "errors": []})

    def _update_record(self, req: Request, m: re.Match[str], user: str) -> Response:
        obj = self._object(m["obj"])
        if not obj.updateable:
            raise ApiError(400, "INVALID_TYPE", f"entity type {obj.name} does not support update")
        record_id = self._record_id(obj, m["id"])
        values = req.json()
        if not isinstance(values, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object of field values")
        values.pop("attributes", None)
        precondition = conditional.update_precondition(obj, req.headers)
        access = self.access(user)
        describes.check_writable(obj, access, values, creating=False)
        describes.check_record(self.store, obj, record_id, access)
        self.store.update(obj.name, record_id, values, user_id=user, check_access=True, precondition=precondition)
        response = Response(204)
        if conditional.supports_etag(obj):
            row = self.store.get_row(obj.name, record_id)
            if row is not None:
                response.headers["ETag"] = conditional.etag(row)
        return response

    def _delete_record(self, req: Request, m: re.Match[str], user: str) -> Response:
        obj = self._object(m["obj"])
        record_id = self._record_id(obj, m["id"])
        access = self.access(user)
        if obj.deletable and not access.can_delete(obj):
            raise describes.insufficient_access()
        describes.check_record(self.store, obj, record_id, access)
        self.store.delete(obj.name, record_id, check_access=True)
        return Response(204)

    def _get_record(self, req: Request, m: re.Match[str], user: str) -> Response:
        access = self.access(user)
        obj = self._readable(m["obj"], access)
        record_id = self._record_id(obj, m["id"])
        wanted = req.query.get("fields")
        readable = access.readable_fields(obj)
        names = [n.strip() for n in wanted.split(",")] if wanted else [f.name for f in obj.fields if f.name in readable]
        lowered = {n.lower() for n in names}
        selected = names if "isdeleted" in lowered or not obj.soft_deletes else [*names, "IsDeleted"]
        soql = f"SELECT {', '.join(selected)} FROM {obj.name} WHERE Id = '{record_id}'"
        # IsDeleted is a system field: always readable, so adding it never trips field-level security.
        query = self._compile(soql, include_deleted=True, access=access)
        table = self._run(query)
        if table.num_rows == 0:
            raise not_found()
        record = json_records(table, query, m["v"])[0]
        if record.get("IsDeleted"):
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
        if selected is not names:
            record.pop("IsDeleted", None)
        row = self.store.get_row(obj.name, record_id) or {"Id": record_id}
        if conditional.not_modified(obj, req.headers, row):
            return Response(304)
        headers = {"ETag": conditional.etag(row)} if conditional.supports_etag(obj) else {}
        return Response.of(200, record, **headers)

    # ------------------------------------------------------------------------ query
    def _batch_size(self, req: Request) -> int:
        options = req.headers.get("sforce-query-options", "")
        found = re.search(r"batchSize\s*=\s*(\d+)", options)
        size = int(found.group(1)) if found else 2000
        return min(max(size, 200), 2000)

    def _page(self, kind: str, v: str, table: Any, query: CompiledQuery, offset: int, size: int,
              cursor_key: str | None, *, next_locator: str | None = None) -> tuple[Response, bool]:
        """One page of a query's records, and whether it is the last (``next_locator``: a page to
        point to instead of the next one, for the ``repeat_page`` fault)."""
        page = table.slice(offset, size)
        end = offset + page.num_rows
        done = end >= table.num_rows and next_locator is None
        head: dict[str, Any] = {"totalSize": table.num_rows, "done": done}
        if next_locator is not None:
            head["nextRecordsUrl"] = f"{self._base(v)}/{kind}/{next_locator}"
        elif not done and cursor_key:
            head["nextRecordsUrl"] = f"{self._base(v)}/{kind}/{cursor_key}-{end}"
        records = self.store.json_rows(page, record_json_sql(query, page.schema, v)) if page.num_rows else []
        body = json.dumps(head)[:-1] + ', "records": [' + ",".join(records) + "]}"
        return Response(200, body.encode()), end >= table.num_rows

    def _query(self, req: Request, m: re.Match[str], user: str) -> Response:
        soql = req.query.get("q")
        if not soql:
            raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
        query = self._compile(soql, include_deleted=m["kind"] == "queryAll", access=self.access(user))
        table = self._run(query)
        if query.is_count:
            return Response.of(200, {"totalSize": int(table.column(0)[0].as_py()), "done": True, "records": []})
        size = self._batch_size(req)
        key = None
        if table.num_rows > size:
            key = self.cursors.open(user, table, query, size).key
        return self._page(m["kind"], m["v"], table, query, 0, size, key)[0]

    def _query_more(self, req: Request, m: re.Match[str], user: str) -> Response:
        cursor, offset = self.cursors.get(m["locator"], user)
        repeat = m["locator"] if req.fault is not None and req.fault.kind == "repeat_page" else None
        response, last = self._page(m["kind"], m["v"], cursor.table, cursor.query, offset, cursor.batch_size,
                                    cursor.key, next_locator=repeat)
        if last and repeat is None:
            self.cursors.close(cursor.key)
        return response

    # ------------------------------------------------------------------------ bulk 2.0
    def _bulk_create(self, req: Request, m: re.Match[str], user: str) -> Response:
        body = req.json()
        if not isinstance(body, dict) or not body.get("query"):
            raise ApiError(400, "INVALIDJOB", "InvalidJob : The query field is required for a query job")
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        if body.get("contentType", "CSV") != "CSV":
            raise ApiError(400, "INVALIDJOB", "InvalidJob : Only CSV is supported for query jobs")
        # Bulk 2.0 returns PK chunks in no promised order: without ORDER BY, results are not sorted.
        query = self._compile(str(body["query"]), include_deleted=operation == "queryAll", stable_order=False,
                              access=self.access(user))
        if any(item.components for item in query.items):
            raise ApiError(400, "FUNCTIONALITY_NOT_ENABLED", "Selecting compound data not supported in Bulk Query")
        if query.is_count or query.offset is not None:
            raise ApiError(400, "INVALIDJOB", "InvalidJob : COUNT() and OFFSET are not supported in Bulk API 2.0 queries")
        self.budget.bulk_jobs_used += 1
        job = QueryJob(
            id=BulkJobs.new_id(), operation=operation, query_text=str(body["query"]), query=query,
            created_by=user, created=self.store.clock.now(), api_version=m["v"],
        )
        fail_with = "Your query request was running for too long." if req.fault is not None else None
        self.bulk.create(job, lambda: self._run(query), fail_with)
        return Response.of(200, job.info())

    def _bulk_list(self, req: Request, m: re.Match[str], user: str) -> Response:
        jobs = [j.info() for j in self.bulk.all()]
        return Response.of(200, {"done": True, "records": jobs, "nextRecordsUrl": None})

    def _bulk_info(self, req: Request, m: re.Match[str], user: str) -> Response:
        return Response.of(200, self.bulk.get(m["job"]).info())

    def _bulk_abort(self, req: Request, m: re.Match[str], user: str) -> Response:
        body = req.json()
        if not isinstance(body, dict) or body.get("state") != "Aborted":
            raise ApiError(400, "INVALIDJOBSTATE", "A query job can only be set to Aborted")
        return Response.of(200, self.bulk.abort(m["job"]).info())

    def _bulk_delete(self, req: Request, m: re.Match[str], user: str) -> Response:
        self.bulk.delete(m["job"])
        return Response(204)

    def _bulk_results(self, req: Request, m: re.Match[str], user: str) -> Response:
        raw = req.query.get("maxRecords")
        if raw is not None and not raw.isdigit():
            raise ApiError(400, "INVALIDPARAMETER", f"maxRecords must be a positive integer: {raw}")
        locator = req.query.get("locator") or None
        data, headers = self.bulk.results(m["job"], None if locator == "null" else locator, int(raw) if raw else None)
        if req.fault is not None and req.fault.kind == "repeat_page":
            headers["Sforce-Locator"] = locator or encode_locator(0)
        return Response(200, data, content_type="text/csv", headers=headers)

    # ------------------------------------------------------------------------ list views
    def _listview_rows(self, obj: ObjectDef) -> list[dict[str, Any]]:
        table = self.store.read(
            'SELECT "Id", "Name", "DeveloperName" FROM "ListView" WHERE "SobjectType" = ? ORDER BY "Name"', [obj.name],
        )
        return table.to_pylist()

    def _listview_def(self, obj: ObjectDef, raw_id: str) -> tuple[str, listviews.ListViewDef]:
        if not is_valid_id(raw_id) or not raw_id.startswith("00B"):
            raise not_found()
        rows = [r for r in self._listview_rows(obj) if r["Id"] == to_18(raw_id)]
        if not rows:
            raise not_found()
        view = listviews.find(obj.name, rows[0]["DeveloperName"])
        if view is None:
            raise not_found()
        return rows[0]["Id"], view

    def _listviews(self, req: Request, m: re.Match[str], user: str) -> Response:
        obj = self._readable(m["obj"], self.access(user))
        base = f"{self._base(m['v'])}/sobjects/{obj.name}/listviews"
        # The list and basic-information resources give 18-character ids; describe and results 15.
        views = [
            {"describeUrl": f"{base}/{r['Id']}/describe", "developerName": r["DeveloperName"],
             "id": r["Id"], "label": r["Name"], "resultsUrl": f"{base}/{r['Id']}/results",
             "soqlCompatible": True, "url": f"{base}/{r['Id']}"}
            for r in self._listview_rows(obj)
        ]
        return Response.of(200, {"done": True, "listviews": views, "nextRecordsUrl": None, "size": len(views),
                                 "sobjectType": obj.name})

    def _listview(self, req: Request, m: re.Match[str], user: str) -> Response:
        obj = self._readable(m["obj"], self.access(user))
        view_id, view = self._listview_def(obj, m["lv"])
        base = f"{self._base(m['v'])}/sobjects/{obj.name}/listviews/{view_id}"
        return Response.of(200, {"describeUrl": f"{base}/describe", "developerName": view.developer_name,
                                 "id": view_id, "label": view.label, "resultsUrl": f"{base}/results",
                                 "soqlCompatible": True, "url": base})

    def _resolve_path(self, obj: ObjectDef, path: str) -> FieldDef:
        current = obj
        parts = path.split(".")
        for rel in parts[:-1]:
            ref = current.relationship(rel)
            assert ref is not None, path
            target = self.store.catalog.get(ref.reference_to[0])
            assert target is not None
            current = target
        f = current.field(parts[-1])
        assert f is not None, path
        return f

    def _listview_describe(self, req: Request, m: re.Match[str], user: str) -> Response:
        access = self.access(user)
        obj = self._readable(m["obj"], access)
        view_id, view = self._listview_def(obj, m["lv"])
        visible = partial(access.can_read_path, obj)
        return Response.of(200, listviews.describe(view, view_id, obj, user, self._resolve_path, visible))

    def _listview_results(self, req: Request, m: re.Match[str], user: str) -> Response:
        access = self.access(user)
        obj = self._readable(m["obj"], access)
        visible = partial(access.can_read_path, obj)
        view_id, view = self._listview_def(obj, m["lv"])
        limit_text, offset_text = req.query.get("limit", "25"), req.query.get("offset", "0")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 2000:
            raise ApiError(400, "INVALID_QUERY_FILTER_OPERATOR", "limit must be between 1 and 2000")
        if not offset_text.isdigit():
            raise ApiError(400, "INVALID_QUERY_FILTER_OPERATOR", "offset must be a non-negative integer")
        limit, offset = int(limit_text), int(offset_text)
        query = self._compile(listviews.soql(view, user, visible), include_deleted=False, access=access)
        table = self._run(query)
        page = json_records(table.slice(offset, limit), query, m["v"])
        cols = listviews.columns(view, obj, self._resolve_path, visible)
        records = []
        for record in page:
            values = []
            for col in cols:
                value: Any = record
                for part in col["fieldNameOrPath"].split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                values.append({"fieldNameOrPath": col["fieldNameOrPath"],
                               "value": None if value is None else str(value).lower() if isinstance(value, bool)
                               else str(value)})
            records.append({"columns": values})
        return Response.of(200, {"columns": cols, "developerName": view.developer_name,
                                 "done": offset + len(records) >= table.num_rows, "id": view_id[:15],
                                 "label": view.label, "records": records, "size": table.num_rows})

    # ------------------------------------------------------------------------ identity
    def _identity_body(self, user: str) -> dict[str, Any]:
        row = self.store.get_row("User", user) or {}
        base = f"{self.instance_url}/services/data/v{{version}}"
        return {
            "id": f"{self.instance_url}/id/{self.sessions.org_id}/{user}",
            "asserted_user": True,
            "user_id": user,
            "organization_id": self.sessions.org_id,
            "username": row.get("Username"),
            "nick_name": row.get("Alias"),
            "display_name": row.get("Name"),
            "email": row.get("Email"),
            "email_verified": True,
            "first_name": row.get("FirstName"),
            "last_name": row.get("LastName"),
            "timezone": row.get("TimeZoneSidKey"),
            "active": bool(row.get("IsActive")),
            "user_type": "STANDARD",
            "language": row.get("LanguageLocaleKey"),
            "locale": row.get("LocaleSidKey"),
            "utcOffset": 0,
            "urls": {
                "enterprise": f"{self.instance_url}/services/Soap/c/{{version}}/{self.sessions.org_id[:15]}",
                "rest": f"{base}/",
                "sobjects": f"{base}/sobjects/",
                "query": f"{base}/query/",
                "limits": f"{base}/limits/",
                "profile": f"{self.instance_url}/{user}",
            },
            "is_app_installed": True,
            "last_modified_date": format_datetime(row["LastModifiedDate"]) if row.get("LastModifiedDate") else None,
        }

    def _identity(self, req: Request, m: re.Match[str], user: str) -> Response:
        if m["org"] != self.sessions.org_id or m["user"] != user:
            raise ApiError(403, "Bad_Id", "Bad_Id")
        return Response.of(200, self._identity_body(user))

    def _userinfo(self, req: Request, m: re.Match[str], user: str) -> Response:
        body = self._identity_body(user)
        return Response.of(200, {"sub": body["id"], **{k: v for k, v in body.items() if k != "id"}})
