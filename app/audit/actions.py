"""Which requests are audited and under what name: one table, keyed like the access policy.

A state-changing route that is not listed is still recorded, under its method and path, so
a new route can never change data without a trace; GET routes are recorded only when listed
here (exports: data leaving the system).
"""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    # accounts (login / failed login / logout are recorded by the login routes themselves)
    "POST /admin/users": "user.create",
    "POST /admin/users/{user_id}/role": "user.update",
    "POST /admin/users/{user_id}/tokens": "token.create",
    "POST /admin/tokens/{token_id}/revoke": "token.revoke",
    "POST /api/v1/users": "user.create",
    "PATCH /api/v1/users/{user_id}": "user.update",
    "POST /api/v1/tokens": "token.create",
    "DELETE /api/v1/tokens/{token_id}": "token.revoke",
    # vendors and engagements
    "POST /api/v1/vendors": "vendor.create",
    "POST /engagements": "engagement.create",
    "POST /api/v1/engagements": "engagement.create",
    "POST /engagements/{engagement_id}/delete": "engagement.delete",
    "DELETE /api/v1/engagements/{engagement_id}": "engagement.delete",
    # documents
    "POST /engagements/{engagement_id}/documents": "document.create",
    "POST /engagements/{engagement_id}/upload": "document.create",
    "POST /api/v1/engagements/{engagement_id}/documents": "document.create",
    "POST /api/v1/engagements/{engagement_id}/documents/upload": "document.create",
    "POST /engagements/{engagement_id}/imports": "document.import",
    "POST /api/v1/engagements/{engagement_id}/imports": "document.import",
    "POST /documents/{document_id}/delete": "document.delete",
    "DELETE /api/v1/documents/{document_id}": "document.delete",
    # KPI corrections and label mappings (the mapping edits the knowledge overlay)
    "POST /engagements/{engagement_id}/kpis": "kpi.correct",
    "POST /documents/{document_id}/kpis": "kpi.correct",
    "POST /api/v1/documents/{document_id}/kpis": "kpi.correct",
    "PUT /api/v1/documents/{document_id}/kpis/{key}": "kpi.correct",
    "DELETE /api/v1/documents/{document_id}/kpis/{key}": "kpi.correct",
    "POST /engagements/{engagement_id}/kpi-labels": "knowledge.edit",
    "POST /api/v1/engagements/{engagement_id}/kpi-labels": "knowledge.edit",
    # drafts
    "POST /engagements/{engagement_id}/drafts": "draft.create",
    "POST /api/v1/engagements/{engagement_id}/drafts": "draft.create",
    "POST /drafts/{draft_id}/edit": "draft.update",
    "PUT /api/v1/drafts/{draft_id}": "draft.update",
    # exports
    "GET /api/v1/drafts/{draft_id}/export": "export",
    "GET /drafts/{draft_id}/export": "export",
    "GET /compare.csv": "export",
    "GET /engagements/{engagement_id}/kpis.csv": "export",
    "GET /admin/audit.csv": "export",
    "GET /calendar.ics": "export",
    "GET /engagements/{engagement_id}/calendar.ics": "export",
}

# Requests that change nothing worth a trace although they are POSTs (a question asked,
# a preview rendered, a conversation cleared is the user's own scratch space).
NOT_AUDITED = frozenset(
    {
        "POST /chat",
        "POST /chat/clear",
        "POST /engagements/{engagement_id}/chat",
        "POST /engagements/{engagement_id}/chat/clear",
        "POST /api/v1/chat",
        "DELETE /api/v1/chat",
        "POST /api/v1/engagements/{engagement_id}/chat",
        "DELETE /api/v1/engagements/{engagement_id}/chat",
        "POST /api/v1/drafts/{draft_id}/preview",
        "POST /api/v1/engagements/{engagement_id}/analysis/refresh",
        "POST /login",
        "POST /logout",
    }
)

LABELS: dict[str, str] = {
    "login": "ログイン",
    "login.failed": "ログイン失敗",
    "logout": "ログアウト",
    "user.create": "ユーザー追加",
    "user.update": "ユーザー変更",
    "token.create": "APIトークン発行",
    "token.revoke": "APIトークン失効",
    "vendor.create": "代行会社の登録",
    "engagement.create": "契約の登録",
    "engagement.delete": "契約の削除",
    "document.create": "文書の保存",
    "document.delete": "文書の削除",
    "kpi.correct": "KPIの修正",
    "knowledge.edit": "KPI項目の対応づけ",
    "draft.create": "下書きの作成",
    "draft.update": "下書きの編集",
    "export": "書き出し",
}

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def action_for(method: str, template: str | None) -> str | None:
    """The audit action of a request, or None when it is not audited."""
    if template is None:
        return None
    key = f"{method.upper()} {template}"
    if key in ACTIONS:
        return ACTIONS[key]
    if method.upper() in STATE_CHANGING and key not in NOT_AUDITED:
        return key  # an unlisted change is still recorded, under its route
    return None


def label(action: str) -> str:
    return LABELS.get(action, action)
