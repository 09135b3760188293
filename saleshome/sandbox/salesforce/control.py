"""The sandbox's control endpoints (not part of Salesforce's API), under ``/_sandbox/``.

- ``POST /_sandbox/simulate`` ``{"changes": N, "late_commits": false, "seed": 7}`` → what was done;
  ``"kinds": {"revoke_assignment": 1}`` chooses the mix (see ``simulator.KINDS``)
- ``POST /_sandbox/faults`` ``{"kind": "status", "status": 503, "path": "/query", "times": 2}``;
  ``DELETE /_sandbox/faults`` disarms them all
- ``POST /_sandbox/clock`` ``{"advance_seconds": 3600}`` moves the org's time forward
- ``POST /_sandbox/budget`` ``{"used": 14990, "max": 15000}`` sets the daily API budget
- ``POST /_sandbox/schema`` ``{"object": "Opportunity", "add": "Segment__c:string", "remove": "NextStep",
  "retype": "Probability:double:p=18,s=2"}`` changes the org's fields as an admin would in Setup;
  ``{"object": "PermissionSetGroup", "queryable": false}`` makes an object one SOQL cannot read
  (describeGlobal says ``queryable: false``, a query of it is refused with INVALID_TYPE)
- ``GET /_sandbox/validation-rules`` the org's validation rules; ``POST`` one rule (added, or replacing
  the rule of the same name): ``{"name": "Probability_Within_Range", "object": "Opportunity", "kind": "range",
  "field": "Probability", "min": 0, "max": 100, "message": "…", "error_field": "Probability", "active": true}``
  (kinds ``required_when`` with ``when_field`` / ``when_values``, ``range`` with ``min`` / ``max``, ``regex``
  with ``pattern``: see ``validation.py``); ``DELETE ?name=X`` removes one rule, ``DELETE`` without a name
  removes them all
- ``GET /_sandbox/record-types`` the org's record types; ``POST`` one (created, or changed when its
  ``developer_name`` exists): ``{"object": "Opportunity", "developer_name": "Enterprise", "name": "Enterprise",
  "values": {"StageName": ["Prospecting", "Closed Won", "Closed Lost"], "Region__c": ["EMEA"]}, "default": true}``
  → ``{"id": "012…", ...}``; the first one of an object adds its ``RecordTypeId`` field (``picklists.py``)
- ``GET /_sandbox/picklist-dependencies``; ``POST`` ``{"object": "Opportunity", "field": "Sub_Region__c",
  "controller": "Region__c", "valid_for": {"Nordics": ["EMEA"]}}`` makes a picklist dependent (a checkbox
  controller's values are ``"true"``/``"false"``); ``DELETE ?object=Opportunity&field=Sub_Region__c``
- ``POST /_sandbox/expire-sessions`` invalidates every access token
- ``GET /_sandbox/info`` the org id, API usage, record counts
- ``GET /_sandbox/logins`` every user who can log in on the OAuth login page: ``username``,
  ``password`` (sandbox password, fresh at each start), ``user_id``, ``name``, ``email``, ``active``,
  ``profile``, ``role``, ``permission_sets`` and ``sales_home_user`` (holds the Slack Sales Home User set)
- ``GET /_sandbox/connected-app`` / ``POST /_sandbox/connected-app {"callback_urls": ["https://…/callback"]}``
  the connected app's client id and callback URLs (the ``redirect_uri`` values authorize accepts)

They listen on 127.0.0.1 only, like the rest of the sandbox, and need no token.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .api import SalesforceApi
from .errors import ApiError, not_found
from .http_messages import Request, Response
from .picklists import add_dependency, add_record_type
from .seed import SALES_HOME_PERMISSION_SET
from .simulator import simulate
from .validation import parse_rule


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _logins(api: SalesforceApi) -> list[dict[str, Any]]:
    web = api.oauth
    if web is None:
        return []
    roles = {r["Id"]: r["Name"] for r in api.store.read('SELECT "Id", "Name" FROM "UserRole"').to_pylist()}
    out = []
    for row in web.login_users():
        access = api.access(row["Id"])
        out.append({
            "username": row["Username"], "password": web.password(row["Id"]), "user_id": row["Id"],
            "name": row["Name"], "email": row["Email"], "active": bool(row["IsActive"]), "profile": access.profile,
            "role": roles.get(access.role_id or ""), "permission_sets": list(access.permission_sets),
            "sales_home_user": SALES_HOME_PERMISSION_SET in access.permission_sets,
        })
    return out


def _validation_rules(api: SalesforceApi, req: Request, body: dict[str, Any]) -> Response | None:
    rules = api.store.rules
    if req.method == "GET":
        return Response.of(200, {"rules": [r.as_json() for r in rules.all()]})
    if req.method == "POST":
        rule = parse_rule(body, api.store.catalog)
        rules.put(rule)
        return Response.of(200, rule.as_json())
    if req.method == "DELETE":
        name = req.query.get("name")
        if rules.remove(name) == 0 and name is not None:
            raise ApiError(404, "NOT_FOUND", f"no validation rule named {name!r}")
        return Response(204)
    return None


def _picklist_config(api: SalesforceApi, action: str, req: Request, body: dict[str, Any]) -> Response | None:
    """``/_sandbox/record-types`` and ``/_sandbox/picklist-dependencies``."""
    picklists = api.store.picklists
    if action == "record-types":
        if req.method == "GET":
            types = [t for o in api.store.catalog for t in picklists.record_types(o.name)]
            return Response.of(200, {"record_types": [t.as_json() for t in types]})
        if req.method == "POST":
            return Response.of(200, add_record_type(api.store, body).as_json())
    if action == "picklist-dependencies":
        if req.method == "GET":
            found = [d for o in api.store.catalog for d in picklists.dependencies(o.name)]
            return Response.of(200, {"dependencies": [d.as_json() for d in found]})
        if req.method == "POST":
            return Response.of(200, add_dependency(api.store, body).as_json())
        if req.method == "DELETE":
            obj, name = req.query.get("object", ""), req.query.get("field", "")
            if not picklists.remove_dependency(obj, name):
                raise ApiError(404, "NOT_FOUND", f"no dependent picklist {obj}.{name}")
            api.store.touch()
            return Response(204)
    return None


def control_handler(api: SalesforceApi, default_seed: int) -> Callable[[Request], Response]:
    runs = {"count": 0}

    def handle(req: Request) -> Response:
        action = req.path.removeprefix("/_sandbox/").strip("/")
        body = req.json() if req.body else {}
        if not isinstance(body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "the control body must be a JSON object")
        if action == "simulate" and req.method == "POST":
            changes = body.get("changes")
            if not isinstance(changes, int) or changes < 0:
                raise ApiError(400, "INVALID_ARGUMENT", "changes must be a non-negative integer")
            runs["count"] += 1
            seed = int(body.get("seed", default_seed * 1000 + runs["count"]))
            kinds = body.get("kinds")
            if kinds is not None and not (
                isinstance(kinds, dict) and all(isinstance(w, int | float) for w in kinds.values())
            ):
                raise ApiError(400, "INVALID_ARGUMENT", "kinds must map kinds of change to weights")
            try:
                report = simulate(api.store, changes, seed=seed, late_commits=bool(body.get("late_commits", False)),
                                  kinds=kinds)
            except ValueError as exc:
                raise ApiError(400, "INVALID_ARGUMENT", str(exc)) from None
            return Response.of(200, _jsonable(report))
        if action == "faults" and req.method == "POST":
            options = {k: v for k, v in body.items() if k != "kind"}
            try:
                fault = api.faults.add(body.get("kind", ""), **options)
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "INVALID_ARGUMENT", str(exc)) from None
            return Response.of(200, _jsonable(fault))
        if action == "faults" and req.method == "DELETE":
            api.faults.clear()
            return Response(204)
        if action == "clock" and req.method == "POST":
            seconds = body.get("advance_seconds")
            if not isinstance(seconds, int | float) or seconds < 0:
                raise ApiError(400, "INVALID_ARGUMENT", "advance_seconds must be a non-negative number")
            api.store.clock.advance(float(seconds))
            return Response.of(200, {"now": api.store.clock.now().isoformat()})
        if action == "budget" and req.method == "POST":
            api.budget.set(used=body.get("used"), daily_max=body.get("max"))
            return Response.of(200, api.budget.limits()["DailyApiRequests"])
        if action == "schema" and req.method == "POST":
            obj = body.get("object")
            if not isinstance(obj, str):
                raise ApiError(400, "INVALID_ARGUMENT", "object must name an sObject")
            queryable = body.get("queryable")
            if queryable is not None and not isinstance(queryable, bool):
                raise ApiError(400, "INVALID_ARGUMENT", "queryable must be true or false")
            api.store.change_schema(obj, add=body.get("add"), remove=body.get("remove"), retype=body.get("retype"),
                                    queryable=queryable)
            return Response(204)
        if action == "validation-rules":
            answer = _validation_rules(api, req, body)
            if answer is not None:
                return answer
        if action in ("record-types", "picklist-dependencies"):
            answer = _picklist_config(api, action, req, body)
            if answer is not None:
                return answer
        if action == "expire-sessions" and req.method == "POST":
            api.sessions.expire_all()
            return Response(204)
        if action == "logins" and req.method == "GET":
            return Response.of(200, {"logins": _logins(api)})
        if action == "connected-app" and req.method in ("GET", "POST"):
            web = api.oauth
            if web is None:
                raise not_found()
            if req.method == "POST":
                urls = body.get("callback_urls")
                if not (isinstance(urls, list) and all(isinstance(u, str) for u in urls)):
                    raise ApiError(400, "INVALID_ARGUMENT", "callback_urls must be a list of URLs")
                try:
                    web.set_callback_urls(urls)
                except ValueError as exc:
                    raise ApiError(400, "INVALID_ARGUMENT", str(exc)) from None
            return Response.of(200, {"client_id": web.client_id, "callback_urls": list(web.callback_urls)})
        if action == "info" and req.method == "GET":
            counts = {
                o.name: int(api.store.read(f'SELECT count(*) AS n FROM "{o.name}"').column("n")[0].as_py())
                for o in api.store.catalog
            }
            return Response.of(200, {
                "org_id": api.sessions.org_id, "api_usage": api.budget.header(), "records": counts,
                "now": api.store.clock.now().isoformat(),
            })
        raise not_found()

    return handle
