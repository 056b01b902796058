"""The authorization matrix: every route of the app × anonymous / viewer / editor / admin
(cookie sessions, as a browser has them) / an editor's bearer token → the expected answer.

Routes are enumerated from the app itself, so a new route is in the matrix the moment it
exists; the policy table must name it (fail closed: an unlisted route needs an admin).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

import httpx

from app.auth import policy
from app.auth.roles import Role
from app.auth.tokens import list_tokens
from app.auth.users import find_user
from app.serve.auth import walk_routes
from tests.conftest import LiveServer

REPORT = {
    "kind": "vendor_report",
    "date": "2025-07-08",
    "period": "2025-06",
    "title": "6月度 活動報告",
    "text": "6月度の実績です。アポ獲得数は３１件（目標28件）でした。",
}
# State changes are sent to an id that does not exist: they pass the gate, change nothing.
MISSING_ID = "999999"
QUERIES = {"/api/v1/search": "?q=アポ獲得数"}  # GET routes that need a query


@dataclass(frozen=True)
class Identity:
    name: str
    role: Role | None
    client: httpx.Client
    csrf: str | None = None


def _routes(server: LiveServer) -> list[tuple[str, str]]:
    found = set()
    for entry in walk_routes(server.app.router.routes):
        for method in entry.methods or {"GET"}:
            if method != "HEAD":
                found.add((method, entry.template))
    # Signing out ends the session the later requests use: it goes last.
    return sorted(found, key=lambda route: (route == ("POST", "/logout"), route))


def test_every_route_is_in_the_policy_table_and_no_entry_is_stale(
    live_server: LiveServer,
) -> None:
    routes = set(_routes(live_server))
    unlisted = sorted(route for route in routes if not policy.listed(*route))
    assert unlisted == [], f"add these to app/auth/policy.py: {unlisted}"
    stale = sorted(key for key in policy.POLICY if key[0] != "HEAD" and key not in routes)
    assert stale == [], f"policy entries for routes that do not exist: {stale}"


def _fill(template: str, method: str, ids: dict[str, str]) -> str:
    path = template
    for name, value in ids.items():
        real = value if method in {"GET", "HEAD"} or name == "key" else MISSING_ID
        path = path.replace("{" + name + "}", real)
    if template == "/static":
        return "/static/style.css"
    return path + QUERIES.get(template, "")


def _send(identity: Identity, method: str, path: str) -> httpx.Response:
    headers = {"Origin": identity.client.base_url.scheme + "://" + identity.client.base_url.host}
    headers["Origin"] += f":{identity.client.base_url.port}"
    if identity.csrf:
        headers["X-CSRF-Token"] = identity.csrf
    if method in {"GET", "HEAD"}:
        return identity.client.request(method, path, headers=headers)
    if path.startswith("/api/"):
        return identity.client.request(method, path, json={}, headers=headers)
    return identity.client.request(method, path, data={"unused": "1"}, headers=headers)


def _problem(
    identity: Identity, method: str, template: str, response: httpx.Response
) -> str | None:
    requirement = policy.required(method, template)
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if requirement == policy.PUBLIC:
        return None
    assert isinstance(requirement, Role)
    if identity.role is None:
        if template.startswith("/api/") or template == "/openapi.json":
            if status != 401 or "Bearer" not in response.headers.get("www-authenticate", ""):
                return f"expected 401 with WWW-Authenticate: Bearer, got {status}"
            return None
        location = response.headers.get("location", "")
        if status != 303 or not location.startswith("/login?next="):
            return f"expected a redirect to /login, got {status} {location}"
        return None
    if not identity.role.allows(requirement):
        return None if status == 403 else f"expected 403 ({requirement} needed), got {status}"
    if status in {401, 403}:
        return f"expected to pass the gate, got {status}: {response.text[:120]}"
    if method == "GET" and template not in {"/login"} and status != 200:
        return f"expected 200, got {status}: {response.text[:120]}"
    return None


def test_authorization_matrix(live_server: LiveServer) -> None:
    with live_server.client() as admin:
        engagement = admin.post(
            "/api/v1/engagements",
            json={
                "vendor_name": "株式会社マトリクス検証",
                "service": "テレアポ代行",
                "start_date": "2025-04-01",
                "renewal_date": "2026-03-31",
            },
        ).json()["id"]
        document = admin.post(f"/api/v1/engagements/{engagement}/documents", json=REPORT).json()
        draft = admin.post(f"/api/v1/engagements/{engagement}/drafts", json={"kind": "memo"})
        batch = admin.post(
            f"/api/v1/engagements/{engagement}/imports",
            files=[("files", ("2025-05_報告.txt", REPORT["text"].encode(), "text/plain"))],
        ).json()["batch_id"]
    db = live_server.app.state.container.session_factory
    editor_token = live_server.token("editor")
    viewer_email, viewer_password = live_server.user("viewer")
    editor_email, editor_password = live_server.user("editor")
    ids = {
        "engagement_id": str(engagement),
        "document_id": str(document["document"]["id"]),
        "draft_id": str(draft.json()["id"]),
        "user_id": str(find_user(db=db, email=viewer_email).id),
        "token_id": str(list_tokens(db=db)[0].id),
        "key": "appointments",
        "batch_id": batch,
    }
    problems: list[str] = []
    with ExitStack() as stack:
        identities = [Identity("anonymous", None, stack.enter_context(live_server.anonymous()))]
        for name, role, email, password in [
            ("viewer", Role.VIEWER, viewer_email, viewer_password),
            ("editor", Role.EDITOR, editor_email, editor_password),
            ("admin", Role.ADMIN, live_server.admin_email, live_server.admin_password),
        ]:
            client = stack.enter_context(live_server.session(email, password))
            csrf = client.get("/login", follow_redirects=True)  # any page: the meta tag
            token = csrf.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
            identities.append(Identity(name, role, client, token))
        identities.append(
            Identity(
                "editor token",
                Role.EDITOR,
                stack.enter_context(live_server.client(token=editor_token)),
            )
        )
        for method, template in _routes(live_server):
            path = _fill(template, method, ids)
            for identity in identities:
                response = _send(identity, method, path)
                problem = _problem(identity, method, template, response)
                if problem:
                    problems.append(f"{identity.name:12} {method:6} {template}: {problem}")
    assert problems == [], "\n".join(problems)
