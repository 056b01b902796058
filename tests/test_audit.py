"""The audit trail over real HTTP: who did what, when and from where; admins read it."""

from __future__ import annotations

from tests.conftest import LiveServer

ENGAGEMENT = {
    "vendor_name": "株式会社記録テスト",
    "service": "テレアポ代行",
    "start_date": "2025-04-01",
    "renewal_date": "2026-03-31",
}
REPORT = {
    "kind": "vendor_report",
    "date": "2025-07-08",
    "period": "2025-06",
    "title": "6月度 活動報告",
    "text": "6月度の実績です。アポ獲得数は31件でした。",
}


def test_changes_logins_and_exports_are_recorded_for_admins(live_server: LiveServer) -> None:
    from app.auth.tokens import create_token
    from app.auth.users import find_user

    editor_email, editor_password = live_server.user("editor")
    db = live_server.app.state.container.session_factory
    token = create_token(db=db, user_id=find_user(db=db, email=editor_email).id, name="audit")[1]
    with live_server.client(token=token) as editor:
        created = editor.post("/api/v1/engagements", json=ENGAGEMENT)
        assert created.status_code == 201, created.text
        engagement_id = created.json()["id"]
        stored = editor.post(f"/api/v1/engagements/{engagement_id}/documents", json=REPORT)
        assert stored.status_code == 201, stored.text
        refused = editor.post("/api/v1/engagements", json={"vendor_name": ""})
        assert refused.status_code == 422
        assert (
            editor.delete(f"/api/v1/documents/{stored.json()['document']['id']}").status_code == 204
        )
        # an editor may not read the trail
        assert editor.get("/api/v1/audit").status_code == 403

    with live_server.anonymous() as stranger:
        from tests.conftest import hidden_fields

        form = hidden_fields(stranger.get("/login").text)
        form.update({"email": editor_email, "password": "not-the-password"})
        assert stranger.post("/login", data=form).status_code in {400, 401, 429}
    with live_server.session(editor_email, editor_password) as browser:
        assert browser.get("/compare.csv").status_code == 200

    with live_server.client() as admin:
        events = admin.get("/api/v1/audit").json()
        actions = [event["action"] for event in events]
        mine = [event for event in events if event["user_email"] == editor_email]
        assert {"engagement.create", "document.create", "document.delete", "export"} <= {
            event["action"] for event in mine
        }
        assert "login.failed" in actions and "login" in actions
        # newest first; the refused create left no trace
        assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)
        assert sum(1 for e in mine if e["action"] == "engagement.create") == 1
        assert all(e["client_address"] == "127.0.0.1" for e in mine)
        assert {e["action_label"] for e in mine} >= {"契約の登録", "文書の保存", "文書の削除"}

        deletes = admin.get("/api/v1/audit", params={"action": "document.delete"}).json()
        assert deletes and {e["action"] for e in deletes} == {"document.delete"}

        exported = admin.get("/admin/audit.csv", params={"user": editor_email})
        assert exported.status_code == 200
        text = exported.content.decode("utf-8")
        assert text.startswith("\ufeff") and "操作" in text.splitlines()[0]
        assert "文書の削除" in text and editor_email in text

    with live_server.session() as admin_browser:
        page = admin_browser.get("/admin/audit", params={"action": "engagement.create"})
        assert page.status_code == 200 and "契約の登録" in page.text
    # the trail is append-only: no route changes or removes an event
    routes = {
        (method, route.path)  # type: ignore[attr-defined]
        for route in live_server.app.routes
        for method in getattr(route, "methods", set())
    }
    assert not {r for r in routes if "audit" in r[1] and r[0] in {"PUT", "PATCH", "DELETE"}}
