"""Seeing which phrases were answered by a store's word index (the real index, only watched)."""

from __future__ import annotations

from analysis.trends import phrase_index


def watch_lookups(monkeypatch) -> list[tuple]:
    """Record the words of every lookup in a word index from now on (the list fills as it goes)."""
    looked_up: list[tuple] = []
    documents = phrase_index.PhraseIndex.documents

    def counted(self, words, field):
        looked_up.append(tuple(words))
        return documents(self, words, field)

    monkeypatch.setattr(phrase_index.PhraseIndex, "documents", counted)
    return looked_up
