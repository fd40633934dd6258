//! The arithmetic of a virtualised list: which rows of a long, fixed-height
//! list are on screen (plus a margin), and when to fetch the next page.

use std::ops::Range;

/// Rows drawn above and below the visible ones, so fast scrolling shows no gaps.
pub const OVERSCAN: usize = 6;

/// Which rows to draw for a scroll position.
///
/// `scroll_top` and `viewport` are in pixels; `row_height` is the fixed
/// height of one row. The range never runs past `total`.
pub fn visible_rows(scroll_top: f64, viewport: f64, row_height: f64, total: usize) -> Range<usize> {
    if total == 0 || row_height <= 0.0 {
        return 0..0;
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let shown = (viewport.max(0.0) / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(OVERSCAN).min(total);
    let end = (first + shown + OVERSCAN).min(total);
    start..end
}

/// Whether the rows drawn come close enough to the end of what is loaded
/// that the next page should be fetched now.
pub fn wants_next_page(drawn: &Range<usize>, loaded: usize, has_more: bool) -> bool {
    has_more && drawn.end + 2 * OVERSCAN >= loaded
}

/// The scroll position that brings row `index` fully into view, or `None`
/// when it already is.
pub fn scroll_to_show(
    index: usize,
    scroll_top: f64,
    viewport: f64,
    row_height: f64,
) -> Option<f64> {
    let top = index as f64 * row_height;
    let bottom = top + row_height;
    if top < scroll_top {
        Some(top)
    } else if bottom > scroll_top + viewport {
        Some(bottom - viewport)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_of_a_long_list_draws_one_screen_and_the_margin() {
        let rows = visible_rows(0.0, 700.0, 76.0, 10_000);
        assert_eq!(rows, 0..(10 + 1 + OVERSCAN));
    }

    #[test]
    fn deep_in_the_list_only_the_rows_near_the_viewport_are_drawn() {
        let rows = visible_rows(76.0 * 5_000.0, 760.0, 76.0, 10_000);
        assert_eq!(rows.start, 5_000 - OVERSCAN);
        assert_eq!(rows.end, 5_000 + 11 + OVERSCAN);
        assert!(rows.len() < 40, "a screenful, not thousands: {rows:?}");
    }

    #[test]
    fn the_range_stops_at_the_end_and_handles_empty_lists() {
        assert_eq!(visible_rows(76.0 * 98.0, 760.0, 76.0, 100).end, 100);
        assert_eq!(visible_rows(0.0, 760.0, 76.0, 0), 0..0);
        assert_eq!(visible_rows(-40.0, 760.0, 76.0, 3), 0..3);
        // Scrolled past the end (the list shrank): nothing out of bounds.
        let past = visible_rows(1e9, 760.0, 76.0, 50);
        assert!(past.start <= past.end && past.end <= 50);
    }

    #[test]
    fn the_next_page_is_fetched_before_the_reader_reaches_the_end() {
        assert!(wants_next_page(&(80..95), 100, true));
        assert!(!wants_next_page(&(0..17), 100, true));
        assert!(!wants_next_page(&(80..100), 100, false));
    }

    #[test]
    fn keyboard_moves_scroll_just_enough_to_show_the_row() {
        assert_eq!(scroll_to_show(0, 152.0, 760.0, 76.0), Some(0.0));
        assert_eq!(scroll_to_show(5, 0.0, 760.0, 76.0), None);
        assert_eq!(scroll_to_show(10, 0.0, 760.0, 76.0), Some(76.0));
    }
}
