import pytest

from sync.numberseries import Segment, SeriesUse, assess, ranges_overlap, segment_remaining, split_number


def test_split_number_keeps_the_prefix():
    assert split_number("C10042") == ("C", 10042)
    assert split_number("10042") == ("", 10042)
    assert split_number("ABC") is None


@pytest.mark.parametrize(
    "segment, remaining",
    [
        (Segment("10000", "19999", "10499"), 9500),
        (Segment("10000", "19999", ""), 10000),  # nothing used yet
        (Segment("10000", "19999", "19999"), 0),
        (Segment("C100", "C199", "C150", step=5), 9),
        (Segment("X", "Y", "X"), None),
    ],
)
def test_remaining_capacity(segment, remaining):
    assert segment_remaining(segment) == remaining


def test_overlap_needs_the_same_prefix_and_intersecting_ranges():
    assert ranges_overlap(Segment("10000", "19999"), Segment("15000", "25000"))
    assert not ranges_overlap(Segment("10000", "19999"), Segment("20000", "29999"))
    assert not ranges_overlap(Segment("A10000", "A19999"), Segment("B10000", "B19999"))


def test_assess_flags_low_capacity_overlap_and_tolerates_shared_sequences():
    uses = [
        SeriesUse("Shop SE", "erp-1", "WEBSE", (Segment("10000", "19999", "19700"),)),
        SeriesUse("Shop NO", "erp-1", "WEBNO", (Segment("15000", "25000", "15010"),)),
        SeriesUse("Shop DK", "erp-2", "WEBNO", (Segment("15000", "25000", "15010"),)),  # other company
        SeriesUse("Shop FI", "erp-1", "WEBSE", (Segment("10000", "19999", "19700"),)),  # same sequence as SE
    ]
    results = {a.owner: a for a in assess(uses, warn_below={"Shop SE": 500, "Shop DK": 100})}
    assert results["Shop SE"].status == "error"
    assert results["Shop SE"].overlaps_with == ("Shop NO",)
    assert "only 299 numbers left" in results["Shop SE"].message
    assert "shared with Shop FI" in results["Shop SE"].message
    assert results["Shop NO"].overlaps_with == ("Shop FI", "Shop SE")
    assert results["Shop DK"].status == "ok" and results["Shop DK"].remaining == 9990
    assert results["Shop DK"].message == "9990 numbers left"


def test_an_exhausted_series_is_an_error():
    [result] = assess([SeriesUse("A", "c", "N", (Segment("1", "10", "10"),))], warn_below={})
    assert result.status == "error" and result.message.startswith("No numbers are left")
