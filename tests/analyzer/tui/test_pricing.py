"""Lambda cost estimates and memory suggestions."""

from __future__ import annotations

import pytest

from analyzer import pricing


def test_cost_is_compute_plus_requests() -> None:
    """One GB-second and one million requests on x86 cost the list prices added up."""
    assert pricing.cost(1.0, 1_000_000, "x86_64") == pytest.approx(0.0000166667 + 0.20)


def test_arm_is_cheaper_per_gb_second() -> None:
    """arm64 compute costs less than x86_64 for the same GB-seconds."""
    assert pricing.cost(1000.0, 0, "arm64") < pricing.cost(1000.0, 0, "x86_64")


def test_suggestion_adds_headroom_in_64_mb_steps() -> None:
    """200 MB used suggests 200 x 1.3 = 260, rounded up to 320 MB."""
    assert pricing.suggest_memory(200, 1024) == 320


def test_suggestion_near_the_limit_adds_headroom() -> None:
    """500 of 512 MB used suggests 500 x 1.3 = 650, rounded up to 704 MB (more than set)."""
    assert pricing.suggest_memory(500, 512) == 704


def test_suggestion_for_a_function_at_its_limit_grows_the_configured_size() -> None:
    """512 of 512 MB used (its real need unknown) suggests 512 x 1.3 rounded up: 704 MB."""
    assert pricing.suggest_memory(512, 512) == 704


def test_suggestion_respects_the_minimum() -> None:
    """Lambda's smallest size is 128 MB."""
    assert pricing.suggest_memory(30, 1024) == 128


def test_right_size_prices_both_architectures() -> None:
    """Right-sizing reports cost now and at the suggestion for x86_64 and arm64."""
    s = pricing.right_size(
        invocations=10, billed_ms=10_000.0, gb_seconds=10.0, memory_mb=1024, max_used_mb=100
    )
    assert set(s.cost_now) == set(s.cost_suggested) == {"x86_64", "arm64"}
    gb_s_at_192 = 10.0 * 192 / 1024
    expected = 1 - pricing.cost(gb_s_at_192, 10) / pricing.cost(10.0, 10)
    assert (s.suggested_mb, s.saving_ratio) == (192, pytest.approx(expected))


def test_function_that_used_all_its_memory_is_suggested_more() -> None:
    """1,024 MB used of 1,024 MB (out of memory) suggests 1,024 x 1.3 -> 1,344 MB."""
    assert pricing.suggest_memory(1024, 1024) == 1344


def test_sizing_panel_says_when_the_suggestion_costs_more() -> None:
    """The panel says 'costs N% more' instead of a negative saving."""
    from analyzer.tui.screens.function import sizing_text

    s = pricing.right_size(
        invocations=10, billed_ms=10_000.0, gb_seconds=10.0, memory_mb=1024, max_used_mb=1024
    )
    text = sizing_text(s).plain
    assert "costs" in text and "more" in text and "saving -" not in text
    assert "1.3x configured" in text


def test_sizing_text_says_why_a_near_limit_function_costs_more() -> None:
    """A function at 98 % of its memory is told it has too little headroom, not that it ran out."""
    from analyzer.tui.screens.function import sizing_text

    s = pricing.right_size(
        invocations=10, billed_ms=10_000.0, gb_seconds=5.0, memory_mb=512, max_used_mb=500
    )
    assert "more: too little headroom now" in sizing_text(s).plain
