"""Mark query terms inside a passage, matching on normalised text, returning original segments."""

from __future__ import annotations

from app.core.normalize import normalize


def highlight_segments(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """Split `text` into (segment, matched) pairs; matching ignores width and case."""
    normalized = normalize(text)
    marks = [False] * len(text)
    for term in {normalize(t).text for t in terms if t.strip()}:
        if len(term) < 2 and term.isascii():
            continue
        position = normalized.text.find(term)
        while position >= 0:
            start, end = normalized.to_original(position, position + len(term))
            for index in range(start, end):
                marks[index] = True
            position = normalized.text.find(term, position + len(term))
    segments: list[tuple[str, bool]] = []
    for char, marked in zip(text, marks, strict=True):
        if segments and segments[-1][1] == marked:
            segments[-1] = (segments[-1][0] + char, marked)
        else:
            segments.append((char, marked))
    return segments
