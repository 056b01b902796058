"""Engagement owners over HTTP: the creator by default, editable by an editor, shown on the
engagement page and the dashboard, cleared when the user is deleted."""

from __future__ import annotations

from sqlalchemy import delete, select

from app.container import Container
from app.store.auth_tables import User
from app.store.models import Engagement
from tests.conftest import LiveServer, hidden_fields

NEW_ENGAGEMENT = {
    "vendor_name": "株式会社ミナト営業支援",
    "service": "展示会フォロー代行",
    "start_date": "2026-04-01",
    "renewal_date": "2027-03-31",
    "notice_days": 60,
}


def test_owner_defaults_to_the_creator_and_an_editor_can_change_it(
    live_server: LiveServer, container: Container
) -> None:
    editor_email, editor_password = live_server.user("editor")
    viewer_email, _ = live_server.user("viewer")
    with container.session_factory() as session:
        ids = {u.email: u.id for u in session.scalars(select(User))}
    with live_server.client() as client:
        created = client.post("/api/v1/engagements", json=NEW_ENGAGEMENT)
        assert created.status_code == 201, created.text
        engagement_id = created.json()["id"]
        owner = client.get(f"/api/v1/engagements/{engagement_id}/owner").json()
        assert owner["owner_email"] == live_server.admin_email

        refused = client.put(
            f"/api/v1/engagements/{engagement_id}/owner", json={"owner_id": ids[viewer_email]}
        )
        assert refused.status_code == 422 and "担当者にできません" in refused.text
        unknown = client.put(f"/api/v1/engagements/{engagement_id}/owner", json={"owner_id": 10**9})
        assert unknown.status_code == 422

    with live_server.client(token=live_server.token("viewer")) as viewer:
        forbidden = viewer.put(
            f"/api/v1/engagements/{engagement_id}/owner", json={"owner_id": ids[editor_email]}
        )
        assert forbidden.status_code == 403

    with live_server.session(editor_email, editor_password) as editor:
        page = editor.get(f"/engagements/{engagement_id}")
        form = hidden_fields(page.text.split('class="inline owner-form"')[1])
        moved = editor.post(
            f"/engagements/{engagement_id}/owner", data={**form, "owner_id": str(ids[editor_email])}
        )
        assert moved.status_code == 303
        page = editor.get(f"/engagements/{engagement_id}")
        assert "担当者を変更しました" not in page.text  # only right after the change
        assert editor_email in page.text.split('id="owner"')[1][:200]
        dashboard = editor.get("/")
        assert f"担当: {editor_email}" in dashboard.text

    with container.session_factory() as session:
        session.execute(delete(User).where(User.id == ids[editor_email]))
        session.commit()
        assert session.get(Engagement, engagement_id).owner_id is None  # type: ignore[union-attr]


def test_the_registration_form_sets_the_owner_or_none(
    live_server: LiveServer, container: Container
) -> None:
    editor_email, editor_password = live_server.user("editor")
    with live_server.session(editor_email, editor_password) as editor:
        form_page = editor.get("/engagements/new")
        assert 'name="owner_id"' in form_page.text
        fields = {**hidden_fields(form_page.text), **{k: str(v) for k, v in NEW_ENGAGEMENT.items()}}
        made = editor.post("/engagements", data=fields)
        assert made.status_code == 303
        nobody = editor.post(
            "/engagements", data={**fields, "service": "テレアポ代行", "owner_id": ""}
        )
        assert nobody.status_code == 303
    with container.session_factory() as session:
        owners = {e.service: e.owner_id for e in session.scalars(select(Engagement))}
        editor_id = session.scalar(select(User.id).where(User.email == editor_email))
    assert owners == {"展示会フォロー代行": editor_id, "テレアポ代行": None}
