"""THE access policy: which role each route needs, in one table.

Every route the app serves is listed here by method and path template. Reads are for
viewers, changes for editors, and users, tokens, engagement deletes and knowledge edits for
admins; viewers may also POST a chat question. A route missing from the table needs an
admin (fail closed), and `tests/test_auth_matrix.py` checks every route of the app is here.
"""

from __future__ import annotations

from app.auth.roles import Role

PUBLIC = "public"
Requirement = Role | str  # a Role, or PUBLIC

_PUBLIC = [
    "GET /login",
    "POST /login",
    "GET /logout",
    "GET /login/sso",
    "GET /login/sso/callback",
    "GET /static",  # the mount: stylesheets and scripts, no data
]

_VIEWER = [
    # pages
    "GET /",
    "GET /calendar.ics",
    "GET /search",
    "GET /chat",
    "POST /chat",
    "POST /chat/clear",
    "POST /logout",
    "GET /engagements/new",
    "GET /engagements/{engagement_id}",
    "GET /engagements/{engagement_id}/calendar.ics",
    "GET /engagements/{engagement_id}/chat",
    "POST /engagements/{engagement_id}/chat",
    "POST /engagements/{engagement_id}/chat/clear",
    "GET /engagements/{engagement_id}/delete",
    "GET /engagements/{engagement_id}/documents/new",
    "GET /engagements/{engagement_id}/drafts",
    "GET /documents/{document_id}",
    "GET /imports/{batch_id}",
    "GET /documents/{document_id}/delete",
    "GET /drafts/{draft_id}",
    "GET /drafts/{draft_id}/edit",
    "GET /compare",
    "GET /compare.csv",
    "GET /engagements/{engagement_id}/kpis.csv",
    # the API documentation (a login or a token, like everything else)
    "GET /docs",
    "GET /redoc",
    "GET /openapi.json",
    # API reads, chat questions and search
    "GET /api/v1/me",
    "GET /api/v1/vendors",
    "GET /api/v1/engagements",
    "GET /api/v1/engagements/{engagement_id}",
    "GET /api/v1/engagements/{engagement_id}/documents",
    "GET /api/v1/imports/{batch_id}",
    "GET /api/v1/engagements/{engagement_id}/analysis",
    "GET /api/v1/engagements/{engagement_id}/timeline",
    "GET /api/v1/engagements/{engagement_id}/drafts",
    "GET /api/v1/engagements/{engagement_id}/chat",
    "POST /api/v1/engagements/{engagement_id}/chat",
    "DELETE /api/v1/engagements/{engagement_id}/chat",
    "GET /api/v1/engagements/{engagement_id}/chat/suggestions",
    "GET /api/v1/engagements/{engagement_id}/jobs",
    "GET /api/v1/engagements/{engagement_id}/parties",
    "GET /api/v1/engagements/{engagement_id}/owner",
    "GET /api/v1/documents/{document_id}",
    "GET /api/v1/search",
    "GET /api/v1/renewals",
    "GET /api/v1/compare",
    "GET /api/v1/drafts/{draft_id}",
    "GET /api/v1/drafts/{draft_id}/export",
    "GET /api/v1/chat",
    "POST /api/v1/chat",
    "DELETE /api/v1/chat",
    "GET /api/v1/chat/suggestions",
]

_EDITOR = [
    "POST /engagements",
    "POST /engagements/{engagement_id}/documents",
    "POST /engagements/{engagement_id}/upload",
    "POST /engagements/{engagement_id}/imports",
    "POST /engagements/{engagement_id}/drafts",
    "POST /engagements/{engagement_id}/kpis",
    "POST /engagements/{engagement_id}/kpi-labels",
    "POST /engagements/{engagement_id}/parties",
    "POST /engagements/{engagement_id}/owner",
    "POST /documents/{document_id}/delete",
    "POST /documents/{document_id}/kpis",
    "POST /drafts/{draft_id}/edit",
    "POST /api/v1/vendors",
    "POST /api/v1/engagements",
    "POST /api/v1/engagements/{engagement_id}/documents",
    "POST /api/v1/engagements/{engagement_id}/documents/upload",
    "POST /api/v1/engagements/{engagement_id}/imports",
    "POST /api/v1/engagements/{engagement_id}/analysis/refresh",
    "POST /api/v1/engagements/{engagement_id}/drafts",
    "POST /api/v1/engagements/{engagement_id}/kpi-labels",
    "PUT /api/v1/engagements/{engagement_id}/parties",
    "PUT /api/v1/engagements/{engagement_id}/owner",
    "DELETE /api/v1/documents/{document_id}",
    "POST /api/v1/documents/{document_id}/kpis",
    "PUT /api/v1/documents/{document_id}/kpis/{key}",
    "DELETE /api/v1/documents/{document_id}/kpis/{key}",
    "PUT /api/v1/drafts/{draft_id}",
    "POST /api/v1/drafts/{draft_id}/preview",
]

_ADMIN = [
    "POST /engagements/{engagement_id}/delete",
    "DELETE /api/v1/engagements/{engagement_id}",
    "GET /admin/users",
    "GET /admin/audit",
    "GET /admin/audit.csv",
    "GET /api/v1/audit",
    "POST /admin/users",
    "POST /admin/users/{user_id}/role",
    "POST /admin/users/{user_id}/tokens",
    "POST /admin/tokens/{token_id}/revoke",
    "GET /api/v1/users",
    "POST /api/v1/users",
    "PATCH /api/v1/users/{user_id}",
    "GET /api/v1/tokens",
    "POST /api/v1/tokens",
    "DELETE /api/v1/tokens/{token_id}",
]


def _table() -> dict[tuple[str, str], Requirement]:
    table: dict[tuple[str, str], Requirement] = {}
    groups: list[tuple[list[str], Requirement]] = [
        (_PUBLIC, PUBLIC),
        (_VIEWER, Role.VIEWER),
        (_EDITOR, Role.EDITOR),
        (_ADMIN, Role.ADMIN),
    ]
    for entries, requirement in groups:
        for entry in entries:
            method, path = entry.split(" ", 1)
            assert (method, path) not in table, f"{entry} is listed twice"
            table[(method, path)] = requirement
            if method == "GET":
                table[("HEAD", path)] = requirement
    return table


POLICY: dict[tuple[str, str], Requirement] = _table()


def required(method: str, path_template: str | None) -> Requirement:
    """The role a request needs; an unknown route needs an admin (fail closed).

    `path_template` is None when no route matched: a 404 is shown to signed-in users only.
    """
    if path_template is None:
        return Role.VIEWER
    return POLICY.get((method.upper(), path_template), Role.ADMIN)


def listed(method: str, path_template: str) -> bool:
    return (method.upper(), path_template) in POLICY
