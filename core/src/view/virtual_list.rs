//! A virtualised list: which rows exist in the DOM for a scroll position, where to scroll to
//! reveal a row, and which rows can stay in place when the list is reordered.

/// The rows of a virtualised list that exist in the DOM: positions `first..last` (from 0).
/// The row at position `p` lives in slot `p % slots`, so rows keep their slot (their element)
/// while the window moves, and margins added later fill other slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowWindow {
    pub first: usize,
    pub last: usize,
    pub slots: usize,
}

/// The rows rendered for a view `height` px high scrolled to `top`, over `len` rows `row_h` px
/// high: those in view and `margin` more on each side, or only those in view when `margins` is
/// false (after a jump, see [`is_jump`]: the margins wait until the view stops jumping).
#[must_use]
pub fn row_window(
    top: f64,
    height: f64,
    row_h: f64,
    len: usize,
    margin: usize,
    margins: bool,
) -> RowWindow {
    let rows_at = |px: f64| (px.max(0.0) / row_h) as usize;
    let in_view = (height / row_h).ceil() as usize;
    let slots = in_view + 2 * margin;
    let first_in_view = rows_at(top);
    let (first, last) = if margins {
        let first = first_in_view.saturating_sub(margin);
        (first, first + slots)
    } else {
        let last = ((top.max(0.0) + height) / row_h).ceil() as usize;
        (first_in_view, last.max(first_in_view + 1))
    };
    let first = first.min(len);
    RowWindow {
        first,
        last: last.min(len).max(first),
        slots: slots.max(1),
    }
}

/// Where a list of rows `row_h` px high must scroll so the row at position `pos` (from 0) is in a
/// view `view_h` px high that starts at `view_top`: `None` when it is in view already. A row above
/// the view comes to its top edge, one below to its bottom edge.
#[must_use]
pub fn scroll_to_reveal(pos: usize, row_h: f64, view_top: f64, view_h: f64) -> Option<f64> {
    let top = pos as f64 * row_h;
    if top < view_top {
        Some(top)
    } else if top + row_h > view_top + view_h {
        Some((top + row_h - view_h).ceil())
    } else {
        None
    }
}

/// Whether scrolling from `from` to `to` (px) leaves every row rendered at `from` (the rows in a
/// view `height` px high and `margin` rows on each side): a jump, such as a scrollbar drag, after
/// which no rendered row is reused and rows beyond the view would only cost time.
#[must_use]
pub fn is_jump(from: f64, to: f64, height: f64, row_h: f64, margin: usize) -> bool {
    let reach = height + margin as f64 * row_h;
    (to - from).abs() >= reach
}

/// Which rows can stay where they are when a list is reordered: `was[k]` is where the `k`-th
/// wanted row sits in the list now (`None` for a new row). Returns, per wanted row, whether it
/// stays; the others are moved (or inserted). The rows that stay are a longest run in increasing
/// order, so the fewest move: scrolling a few rows moves only those, not every row after them.
pub fn rows_in_place(was: &[Option<usize>]) -> Vec<bool> {
    // Longest increasing subsequence, O(n log n): `tails[l]` ends the best run of length l + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; was.len()];
    for (k, &at) in was.iter().enumerate() {
        let Some(at) = at else { continue };
        let len = tails.partition_point(|&t| was[t].is_some_and(|w| w < at));
        before[k] = len.checked_sub(1).map(|l| tails[l]);
        if len == tails.len() {
            tails.push(k);
        } else {
            tails[len] = k;
        }
    }
    let mut stays = vec![false; was.len()];
    let mut at = tails.last().copied();
    while let Some(k) = at {
        stays[k] = true;
        at = before[k];
    }
    stays
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_to_reveal_moves_only_as_far_as_needed() {
        // A view of 10 rows of 20 px, scrolled to rows 5 to 14.
        assert_eq!(scroll_to_reveal(5, 20.0, 100.0, 200.0), None);
        assert_eq!(scroll_to_reveal(14, 20.0, 100.0, 200.0), None);
        // Above: to the top edge; below: to the bottom edge.
        assert_eq!(scroll_to_reveal(4, 20.0, 100.0, 200.0), Some(80.0));
        assert_eq!(scroll_to_reveal(15, 20.0, 100.0, 200.0), Some(120.0));
        // A row cut by the bottom edge counts as out of view.
        assert_eq!(scroll_to_reveal(14, 20.0, 105.0, 190.0), Some(110.0));
        assert_eq!(scroll_to_reveal(0, 68.0, 0.0, 500.0), None);
    }

    #[test]
    fn row_window_renders_margins_unless_jumping() {
        // 900 px of 26 px rows: 35 rows in view, 8 on each side, 51 slots.
        let w = row_window(2600.0, 900.0, 26.0, 1000, 8, true);
        assert_eq!(
            w,
            RowWindow {
                first: 92,
                last: 143,
                slots: 51
            }
        );
        // After a jump only the rows in view: 100 to 134 (the last one partly).
        let w = row_window(2600.0, 900.0, 26.0, 1000, 8, false);
        assert_eq!(
            w,
            RowWindow {
                first: 100,
                last: 135,
                slots: 51
            }
        );
        let w = row_window(2613.0, 900.0, 26.0, 1000, 8, false);
        assert_eq!((w.first, w.last), (100, 136));
        // The window never leaves the list, at the top or past its end.
        let w = row_window(0.0, 900.0, 26.0, 1000, 8, true);
        assert_eq!((w.first, w.last), (0, 51));
        let w = row_window(26_000.0, 900.0, 26.0, 1000, 8, false);
        assert_eq!((w.first, w.last), (1000, 1000));
        let w = row_window(100.0, 900.0, 26.0, 3, 8, true);
        assert_eq!((w.first, w.last), (0, 3));
        // Every row in view has a slot of its own, with or without margins.
        for top in [0.0, 13.0, 2600.0, 7777.0] {
            for margins in [true, false] {
                let w = row_window(top, 900.0, 26.0, 1000, 8, margins);
                let mut ids: Vec<usize> = (w.first..w.last).map(|p| p % w.slots).collect();
                ids.sort_unstable();
                ids.dedup();
                assert_eq!(ids.len(), w.last - w.first);
            }
        }
    }

    #[test]
    fn a_jump_is_a_scroll_past_every_rendered_row() {
        // A wheel step of 3 rows, or a page, keeps rows; a scrollbar drag across the list does not.
        assert!(!is_jump(2600.0, 2678.0, 900.0, 26.0, 8));
        assert!(!is_jump(2600.0, 3500.0, 900.0, 26.0, 8));
        assert!(is_jump(2600.0, 2600.0 + 900.0 + 208.0, 900.0, 26.0, 8));
        assert!(is_jump(500_000.0, 0.0, 900.0, 26.0, 8));
    }

    #[test]
    fn rows_in_place_moves_the_fewest() {
        let moved = |was: &[Option<usize>]| rows_in_place(was).iter().filter(|s| !**s).count();
        // Scrolling down three rows: the three from the top go to the bottom.
        let down: Vec<Option<usize>> = (3..45).chain(0..3).map(Some).collect();
        let stays = rows_in_place(&down);
        assert_eq!(moved(&down), 3);
        assert!(stays[..42].iter().all(|s| *s) && stays[42..].iter().all(|s| !*s));
        // Up three rows: the three from the bottom go to the top.
        let up: Vec<Option<usize>> = (42..45).chain(0..42).map(Some).collect();
        assert_eq!(moved(&up), 3);
        // Nothing changed, nothing moves; new rows are always placed.
        let same: Vec<Option<usize>> = (0..10).map(Some).collect();
        assert_eq!(moved(&same), 0);
        assert_eq!(
            rows_in_place(&[None, Some(0), None]),
            vec![false, true, false]
        );
        assert_eq!(moved(&[Some(2), Some(0), Some(1)]), 1);
        assert_eq!(moved(&[Some(3), Some(2), Some(1), Some(0)]), 3);
        assert!(rows_in_place(&[]).is_empty());
    }
}
