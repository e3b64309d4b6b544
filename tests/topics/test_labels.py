"""Topic names from keyword phrases: unique heads, no fragments, acronyms, fallback, determinism."""

from __future__ import annotations

import numpy as np

from analysis.topics.labels import (
    SEP,
    label_problems,
    make_labels,
    phrase_table,
    representatives,
)
from analysis.topics.vectors import normalise

N = 10  # papers per topic


def corpus() -> tuple[list[list[str] | None], list[str], np.ndarray]:
    """Five topics of ten papers; the last has no keywords at all."""
    kws: list[list[str] | None] = []
    docs: list[str] = []
    spec = [
        (["Retrieval-Augmented Generation (RAG)", "retriever", "RAG", "large language model"],
         "We improve retrieval-augmented generation with a better retriever for RAG."),
        (["reinforcement learning", "policy optimization", "SD", "large language model"],
         "Reinforcement learning with policy optimization for reasoning; SD variant."),
        (["video generation", "text-to-video", "LongVideoBench", "large language model"],
         "Video generation from text with text-to-video diffusion, tested on LongVideoBench."),
        (["video generation models", "motion control", "camera control"],
         "Motion control and camera control for video generation models."),
        (None, "Graph neural networks for molecules and property prediction."),
    ]
    for keywords, text in spec:
        for i in range(N):
            kws.append(list(keywords) if keywords else None)
            docs.append(f"{text} Paper number {i}.")
    labels = np.repeat(np.arange(len(spec)), N)
    return kws, docs, labels


FALLBACK = {4: ["sd", "graph neural networks", "molecules", "property prediction"]}


def test_labels_follow_the_naming_rules():
    kws, docs, labels = corpus()
    names = make_labels(phrase_table(kws, docs), labels, fallback=FALLBACK)
    assert label_problems(names) == []
    heads = [n.split(SEP)[0] for n in names.values()]
    assert len(set(heads)) == len(heads)
    assert names[0].split(SEP)[0] == "retrieval-augmented generation"
    assert "RAG" not in names[0], "an acronym never follows its own expansion"
    text = " ".join(names.values())
    assert "SD" not in text.split()
    assert "sd" not in text.split()
    assert "LongVideoBench" not in text, "benchmark names are not topics"
    assert "large language model" not in text, "generic phrases are not topics"
    for t, name in names.items():  # no other label holds a head, or a phrase around it
        head = set(name.split(SEP)[0].split())
        for u, other in names.items():
            for phrase in other.split(SEP)[1 if u == t else 0:]:
                words = set(phrase.split())
                assert not head <= words, (name, other)
                assert not words <= head, (name, other)
    phrases = [p for n in names.values() for p in n.split(SEP)]
    assert phrases.count("video generation") <= 1
    assert names[3].split(SEP)[0] in ("motion control", "camera control")
    assert names[4].split(SEP)[0] == "graph neural networks", "no keywords: own terms, filtered"


def test_labels_are_deterministic():
    kws, docs, labels = corpus()
    first = make_labels(phrase_table(kws, docs), labels, fallback=FALLBACK)
    again = make_labels(phrase_table(list(kws), list(docs)), labels.copy(), fallback=FALLBACK)
    assert first == again


def test_outliers_are_no_topic_and_unnamed_topics_say_so():
    kws, docs, labels = corpus()
    labels = labels.copy()
    labels[:3] = -1
    names = make_labels(phrase_table(kws, docs), labels)
    assert -1 not in names
    assert names[4] == "topic 4", "no keyword and no fallback: a plain name"


def test_label_problems_finds_shared_heads_and_fragments():
    problems = label_problems({0: "video generation · motion", 1: "audio · video generation",
                               2: "sd · image editing", 3: "a very long phrase"})
    assert any("video generation" in p and "also in topics [1]" in p for p in problems)
    assert any("'sd'" in p for p in problems)
    assert any("4 words" in p for p in problems)


def test_representatives_prefer_clustered_members_near_the_centre():
    emb = normalise(np.array([[1, 0], [0.9, 0.1], [0.99, 0.01], [0.5, 0.5], [0, 1], [0.1, 1]],
                             np.float32))
    labels = np.array([0, 0, 0, 0, 1, 1])
    core = np.array([True, True, False, True, True, True])
    reps = representatives(emb, labels, core, k=2)
    assert sorted(reps[0]) == [0, 1], "the reassigned paper 2 is close but not a member"
    assert sorted(reps[1]) == [4, 5]


def test_labels_stay_short_enough_for_a_legend():
    kws, docs, labels = corpus()
    table = phrase_table(kws, docs)
    full = make_labels(table, labels, fallback=FALLBACK, max_chars=10_000)
    short = make_labels(table, labels, fallback=FALLBACK, max_chars=30)
    assert any(len(n) > 30 for n in full.values())  # the limit has something to cut
    for t, name in short.items():
        head = full[t].split(SEP)[0]
        assert name.split(SEP)[0] == head  # the head stays, whatever its length
        assert len(name) <= 30 or name == head
        assert full[t].startswith(name)  # the label is cut after a phrase, never altered
    assert label_problems(short) == []


def test_a_head_shown_as_an_acronym_is_not_another_topics_term():
    """A phrase keyed by its expansion but shown as its acronym ("MLLMs") owns that name.

    A fallback term "mllm" of another topic may not head it (seen in a fit on an AVX2 machine:
    "mllm · embedding · recognition" beside "MLLMs · chain-of-thought · GRPO").
    """
    kws: list[list[str] | None] = []
    docs: list[str] = []
    for i in range(N):
        kws.append(["Multimodal Large Language Models (MLLMs)", "visual reasoning"])
        docs.append(f"Multimodal large language models (MLLMs) for visual reasoning {i}.")
    for i in range(N):
        kws.append(None)
        docs.append(f"Speech recognition with audio encoders, paper {i}.")
    labels = np.repeat(np.arange(2), N)
    names = make_labels(phrase_table(kws, docs), labels,
                        fallback={1: ["mllm", "speech recognition", "audio"]})
    assert names[0].split(SEP)[0] == "MLLMs", names
    assert label_problems(names) == [], names
    assert names[1].split(SEP)[0] == "speech recognition", names
