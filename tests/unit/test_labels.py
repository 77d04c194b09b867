"""Every statistic says, in plain English and in one place, what it is and what each figure
counts, and which records it counts."""

from __future__ import annotations

import pytest

from projections._facts import KEPT
from projections._schema import SPANS
from projections.statistics import STATISTICS, Statistic


@pytest.mark.parametrize("name", list(STATISTICS))
def test_each_statistic_has_a_title_and_a_label_per_figure(name: str) -> None:
    stat = STATISTICS[name]
    assert stat.title and "_" not in stat.title and len(stat.title) <= 96
    assert list(stat.labels) == list(stat.figures)
    labels = [stat.label(figure) for figure in stat.figures]
    assert len(set(labels)) == len(labels), "two figures read the same"
    for label in labels:
        assert "_" not in label and "." not in label, label  # words, not machine names


def test_the_example_label() -> None:
    assert STATISTICS["missing-occasions"].label("looked_after.missing") == (
        "Looked-after children: occasions missing"
    )


@pytest.mark.parametrize("name", list(STATISTICS))
def test_each_statistic_names_the_records_it_counts(name: str) -> None:
    stat = STATISTICS[name]
    assert stat.records and stat.sources
    assert all(source in KEPT for source in stat.sources), stat.sources
    for kind in stat.spans:
        assert kind == "care" or kind.split(".")[0] in SPANS, kind


def test_a_statistic_without_its_labels_is_refused() -> None:
    stat = STATISTICS["cse-cases"]
    with pytest.raises(ValueError, match="label"):
        Statistic(
            name="x",
            version=1,
            definition="",
            figures=("total", "online_element"),
            compute=stat.compute,
            title="X",
            labels={"total": "Total"},
            sources=stat.sources,
            records=stat.records,
            spans=stat.spans,
        )
