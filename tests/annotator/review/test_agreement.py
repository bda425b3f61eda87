import random

import krippendorff
import pytest

from annotator.review.agreement import (
    NO_LABEL,
    DocumentSpans,
    agreement_report,
    alpha_nominal,
    document_agreement,
    f1,
    matches_exact,
    matches_overlap,
    segments,
    span_clusters,
)

LABELS = ["sourced", "disputed", "propaganda"]


def test_alpha_matches_krippendorff_2011_nominal_example():
    # "Computing Krippendorff's Alpha-Reliability" (2011), section C: nominal alpha = 0.743.
    n = None
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    assert alpha_nominal(data) == pytest.approx(0.743, abs=5e-4)


def test_alpha_matches_krippendorff_2011_binary_example():
    # Same paper, section A: two observers, binary data, alpha = 0.095.
    data = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    assert alpha_nominal(data) == pytest.approx(0.095, abs=5e-4)


def test_alpha_is_none_without_variation():
    assert alpha_nominal([[1, 1, 1], [1, 1, 1]]) is None


def _per_character(length, coders):
    """The same alpha computed naively: one unit per character, via the krippendorff package."""
    codes = {NO_LABEL: 0, **{label: i + 1 for i, label in enumerate(LABELS)}}
    rows = []
    for spans in coders.values():
        row = [0] * length
        for start, end, label in sorted(spans, key=lambda s: -LABELS.index(s[2])):
            for i in range(start, end):
                row[i] = codes[label]
        rows.append(row)
    return krippendorff.alpha(reliability_data=rows, level_of_measurement="nominal")


@pytest.mark.parametrize("seed", range(8))
def test_segment_alpha_equals_per_character_alpha_of_krippendorff_package(seed):
    rng = random.Random(seed)
    length = 200
    coders = {}
    for coder in ("a", "b", "c"):
        spans = []
        for _ in range(rng.randint(1, 6)):
            start = rng.randrange(0, length - 1)
            spans.append(
                (start, rng.randint(start + 1, min(length, start + 40)), rng.choice(LABELS))
            )
        coders[coder] = spans
    document = DocumentSpans(1, "t", length, coders)
    ours = document_agreement(document, LABELS)["alpha"]
    assert ours == pytest.approx(_per_character(length, coders), abs=1e-4)


def test_exact_and_overlap_matching():
    a = [(0, 10, "sourced"), (20, 30, "disputed"), (40, 50, "propaganda")]
    b = [(0, 10, "sourced"), (22, 35, "disputed"), (40, 50, "sourced")]
    assert matches_exact(a, b) == 1
    assert matches_overlap(a, b) == 2  # the label differs on the third span
    assert f1(1, 3, 3) == pytest.approx(1 / 3)
    assert f1(0, 0, 0) is None


def test_overlap_matching_is_one_to_one():
    a = [(0, 20, "sourced")]
    b = [(0, 5, "sourced"), (6, 20, "sourced")]
    assert matches_overlap(a, b) == 1
    assert matches_overlap(b, a) == 1


def test_segments_cut_at_span_boundaries():
    cut = segments(10, {"a": [(2, 5, "sourced")], "b": [(4, 8, "disputed")]})
    assert [(s, e) for s, e, _ in cut] == [(0, 2), (2, 4), (4, 5), (5, 8), (8, 10)]
    assert cut[2][2] == {"a": frozenset({"sourced"}), "b": frozenset({"disputed"})}


def test_identical_work_agrees_fully_and_different_labels_do_not():
    same = DocumentSpans(1, "same", 50, {"a": [(5, 15, "sourced")], "b": [(5, 15, "sourced")]})
    differ = DocumentSpans(2, "differ", 50, {"a": [(5, 15, "sourced")], "b": [(5, 15, "disputed")]})
    report = agreement_report([same, differ], LABELS)
    rows = {row["id"]: row for row in report["documents"]}
    assert rows[1]["f1_exact"] == 1.0 and rows[1]["alpha"] == 1.0
    assert rows[2]["f1_exact"] == 0.0 and rows[2]["f1_overlap"] == 0.0
    assert report["documents"][0]["id"] == 2  # the disagreeing document comes first
    assert report["overall"]["f1_exact"] == 0.5
    assert rows[2]["alpha"] < report["overall"]["alpha"] < rows[1]["alpha"]
    sourced = next(row for row in report["labels"] if row["label"] == "sourced")
    assert sourced["f1_exact"] == pytest.approx(2 / 3, abs=1e-4)


def test_report_skips_single_reviewer_documents_and_ranks_pairs():
    docs = [
        DocumentSpans(1, "one", 40, {"a": [(0, 5, "sourced")]}),
        DocumentSpans(
            2,
            "three",
            40,
            {
                "a": [(0, 5, "sourced")],
                "b": [(0, 5, "sourced")],
                "c": [(10, 20, "propaganda")],
            },
        ),
    ]
    report = agreement_report(docs, LABELS)
    assert report["overall"]["documents_compared"] == 1
    assert report["overall"]["documents_single_reviewer"] == 1
    assert [(p["a"], p["b"]) for p in report["pairs"]][-1] == ("a", "b")
    assert report["pairs"][-1]["f1_exact"] == 1.0
    assert report["pairs"][0]["f1_exact"] == 0.0


def test_clusters_group_overlapping_spans_across_reviewers():
    clusters = span_clusters(
        {
            "a": [(0, 5, "sourced"), (20, 25, "disputed")],
            "b": [(3, 8, "sourced"), (20, 25, "disputed")],
        }
    )
    assert [(c.start, c.end) for c in clusters] == [(0, 8), (20, 25)]
    assert not clusters[0].agreed
    assert clusters[1].agreed
    assert clusters[0].by_coder["b"] == [(3, 8, "sourced")]


def test_cluster_where_one_reviewer_tagged_nothing_is_a_disagreement():
    (cluster,) = span_clusters({"a": [(0, 5, "sourced")], "b": []})
    assert cluster.by_coder == {"a": [(0, 5, "sourced")], "b": []}
    assert not cluster.agreed


def test_span_every_reviewer_tagged_is_agreed_even_beside_an_overlapping_one():
    shared = (0, 20, "sourced")
    clusters = span_clusters({"a": [shared, (5, 12, "disputed")], "b": [shared]})
    assert [(c.start, c.end, c.agreed) for c in clusters] == [(0, 20, True), (5, 12, False)]
    assert clusters[1].by_coder == {"a": [(5, 12, "disputed")], "b": []}
