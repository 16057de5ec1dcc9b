//! The page's resizable panes: the trace list, the span names' column and the span details.
//!
//! Each pane has a separator the user drags or moves with the keyboard (the WAI-ARIA window
//! splitter pattern: arrows move it, Home and End go to the limits). A width the user never set
//! stays `None`, so the stylesheet's default (which follows the window) applies. The widths are
//! kept between visits as a short preference string, read back leniently: a stored value that is
//! not understood is dropped, never an error.

/// The three resizable panes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// The list of traces, on the left.
    List,
    /// The span names' column of the waterfall.
    Names,
    /// The selected span's details, on the right.
    Details,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::List, Pane::Names, Pane::Details];

    /// The key of this pane in the preference string.
    fn key(self) -> &'static str {
        match self {
            Pane::List => "list",
            Pane::Names => "names",
            Pane::Details => "details",
        }
    }

    /// +1 if dragging the separator to the right widens the pane (its separator is on its right
    /// edge), -1 if it narrows it (the details pane's separator is on its left edge).
    pub fn grows_right(self) -> f64 {
        match self {
            Pane::List | Pane::Names => 1.0,
            Pane::Details => -1.0,
        }
    }

    /// The narrowest this pane may be, in CSS pixels.
    pub fn min_px(self) -> f64 {
        match self {
            Pane::List => 140.0,
            Pane::Names => 120.0,
            Pane::Details => 240.0,
        }
    }

    /// The widest this pane may be, in CSS pixels, in a container `container` wide of which the
    /// other panes beside it take `others`: the list and the details leave the waterfall at
    /// least [`MIN_WATERFALL_PX`], the names leave the bars [`MIN_BARS_PX`]; never under the
    /// minimum.
    pub fn max_px(self, container: f64, others: f64) -> f64 {
        let max = match self {
            Pane::List => (container * LIST_MAX_SHARE).min(container - others - MIN_WATERFALL_PX),
            Pane::Details => {
                (container * DETAILS_MAX_SHARE).min(container - others - MIN_WATERFALL_PX)
            }
            Pane::Names => container - MIN_BARS_PX,
        };
        max.max(self.min_px())
    }

    /// The CSS width of this pane when the user chose `width` pixels: the same limits as
    /// [`Pane::min_px`] and [`Pane::max_px`], so that a window made narrower afterwards keeps
    /// every pane usable (the stylesheet's percentages are of the same containers).
    pub fn css_width(self, width: u16) -> String {
        let min = self.min_px();
        match self {
            Pane::List => format!("clamp({min}px, {width}px, {}%)", LIST_MAX_SHARE * 100.0),
            Pane::Details => format!("clamp({min}px, {width}px, {}%)", DETAILS_MAX_SHARE * 100.0),
            Pane::Names => format!("clamp({min}px, {width}px, calc(100% - {MIN_BARS_PX}px))"),
        }
    }
}

/// The most of the page's width the trace list may take.
pub const LIST_MAX_SHARE: f64 = 0.35;
/// The most of the page's width the span details may take.
pub const DETAILS_MAX_SHARE: f64 = 0.5;
/// The least width the list and the details leave to the waterfall, in CSS pixels.
pub const MIN_WATERFALL_PX: f64 = 360.0;
/// The least width the span names leave to the bars, in CSS pixels.
pub const MIN_BARS_PX: f64 = 160.0;

/// How far one arrow key press moves a separator, in CSS pixels.
pub const KEY_STEP_PX: f64 = 16.0;

/// The widths the user chose, in whole CSS pixels; `None` keeps the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PaneWidths {
    pub list: Option<u16>,
    pub names: Option<u16>,
    pub details: Option<u16>,
}

impl PaneWidths {
    pub fn get(&self, pane: Pane) -> Option<u16> {
        match pane {
            Pane::List => self.list,
            Pane::Names => self.names,
            Pane::Details => self.details,
        }
    }

    /// These widths with `pane` set to `width` (rounded; `None` goes back to the default).
    #[must_use]
    pub fn with(mut self, pane: Pane, width: Option<f64>) -> PaneWidths {
        let width = width
            .filter(|w| w.is_finite())
            .map(|w| w.round().clamp(0.0, f64::from(u16::MAX)) as u16);
        match pane {
            Pane::List => self.list = width,
            Pane::Names => self.names = width,
            Pane::Details => self.details = width,
        }
        self
    }

    /// The preference string: `list=260;names=420` (panes left at their default are left out).
    pub fn to_pref(&self) -> String {
        Pane::ALL
            .iter()
            .filter_map(|&p| self.get(p).map(|w| format!("{}={w}", p.key())))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Reads a preference string back; unknown keys and values that are not a width are dropped.
    pub fn from_pref(text: &str) -> PaneWidths {
        let mut widths = PaneWidths::default();
        for item in text.split(';') {
            let Some((key, value)) = item.split_once('=') else {
                continue;
            };
            let Some(pane) = Pane::ALL.into_iter().find(|p| p.key() == key.trim()) else {
                continue;
            };
            if let Ok(width) = value.trim().parse::<u16>() {
                if f64::from(width) >= pane.min_px() {
                    widths = widths.with(pane, Some(f64::from(width)));
                }
            }
        }
        widths
    }
}

/// A width kept within `min..=max`; when the room is smaller than the minimum (a narrow window),
/// the minimum wins.
pub fn clamp_width(width: f64, min: f64, max: f64) -> f64 {
    width.min(max).max(min)
}

/// The pane's width after a key press on its separator, or `None` for a key the separator does
/// not handle. Left and right move the separator by [`KEY_STEP_PX`] (so the pane grows or
/// shrinks by the side it is on), Home and End go to the narrowest and widest.
pub fn keyed(pane: Pane, width: f64, key: &str, min: f64, max: f64) -> Option<f64> {
    let step = KEY_STEP_PX * pane.grows_right();
    let wanted = match key {
        "ArrowRight" => width + step,
        "ArrowLeft" => width - step,
        "Home" => min,
        "End" => max,
        _ => return None,
    };
    Some(clamp_width(wanted, min, max))
}

/// The pane's width while its separator is dragged from `from_x` (when the pane was `width`
/// wide) to `to_x`.
pub fn dragged(pane: Pane, width: f64, from_x: f64, to_x: f64, min: f64, max: f64) -> f64 {
    clamp_width(width + (to_x - from_x) * pane.grows_right(), min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_string_round_trips_and_drops_what_it_does_not_know() {
        let widths = PaneWidths::default()
            .with(Pane::List, Some(260.4))
            .with(Pane::Details, Some(411.6));
        assert_eq!(widths.to_pref(), "list=260;details=412");
        assert_eq!(PaneWidths::from_pref(&widths.to_pref()), widths);
        assert_eq!(PaneWidths::from_pref(""), PaneWidths::default());
        let messy = PaneWidths::from_pref("names = 300; colour=red;list=abc;details=-4;;list");
        assert_eq!(
            messy,
            PaneWidths {
                names: Some(300),
                ..PaneWidths::default()
            }
        );
        // Narrower than the pane allows (an old or hand-edited value): the default instead.
        assert_eq!(PaneWidths::from_pref("list=20").list, None);
        assert_eq!(widths.with(Pane::List, None).list, None);
        assert_eq!(widths.with(Pane::List, Some(f64::NAN)).list, None);
    }

    #[test]
    fn keys_move_the_separator_not_the_width() {
        // The list's separator is on its right edge: ArrowRight widens it.
        assert_eq!(
            keyed(Pane::List, 250.0, "ArrowRight", 140.0, 500.0),
            Some(266.0)
        );
        assert_eq!(
            keyed(Pane::List, 250.0, "ArrowLeft", 140.0, 500.0),
            Some(234.0)
        );
        // The details' separator is on its left edge: ArrowRight narrows it.
        assert_eq!(
            keyed(Pane::Details, 400.0, "ArrowRight", 240.0, 700.0),
            Some(384.0)
        );
        assert_eq!(
            keyed(Pane::Details, 400.0, "ArrowLeft", 240.0, 700.0),
            Some(416.0)
        );
        assert_eq!(keyed(Pane::Names, 300.0, "Home", 120.0, 600.0), Some(120.0));
        assert_eq!(keyed(Pane::Names, 300.0, "End", 120.0, 600.0), Some(600.0));
        assert_eq!(keyed(Pane::Names, 300.0, "Enter", 120.0, 600.0), None);
        // Never past the limits.
        assert_eq!(
            keyed(Pane::List, 495.0, "ArrowRight", 140.0, 500.0),
            Some(500.0)
        );
        assert_eq!(
            keyed(Pane::List, 145.0, "ArrowLeft", 140.0, 500.0),
            Some(140.0)
        );
    }

    #[test]
    fn limits_leave_room_for_the_waterfall_and_the_bars() {
        // A 1,600 px page with 400 px of details: the list may take 35% (560 px).
        assert_eq!(Pane::List.max_px(1600.0, 400.0), 560.0);
        // With 800 px of details, only what leaves the waterfall 360 px.
        assert_eq!(Pane::List.max_px(1600.0, 800.0), 440.0);
        assert_eq!(Pane::Details.max_px(1600.0, 250.0), 800.0);
        assert_eq!(Pane::Names.max_px(900.0, 0.0), 740.0);
        // A tiny page: the minimum, whatever else.
        assert_eq!(Pane::Details.max_px(500.0, 250.0), 240.0);
        assert_eq!(Pane::List.css_width(300), "clamp(140px, 300px, 35%)");
        assert_eq!(Pane::Details.css_width(420), "clamp(240px, 420px, 50%)");
        assert_eq!(
            Pane::Names.css_width(500),
            "clamp(120px, 500px, calc(100% - 160px))"
        );
    }

    #[test]
    fn drags_follow_the_pointer_within_the_limits() {
        assert_eq!(
            dragged(Pane::Names, 300.0, 500.0, 560.0, 120.0, 600.0),
            360.0
        );
        assert_eq!(
            dragged(Pane::Details, 400.0, 900.0, 860.0, 240.0, 700.0),
            440.0
        );
        assert_eq!(
            dragged(Pane::List, 250.0, 250.0, 2000.0, 140.0, 500.0),
            500.0
        );
        assert_eq!(
            dragged(Pane::List, 250.0, 250.0, -50.0, 140.0, 500.0),
            140.0
        );
        // No room at all (a very narrow window): the minimum.
        assert_eq!(clamp_width(300.0, 240.0, 100.0), 240.0);
    }
}
