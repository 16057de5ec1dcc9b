//! What the page shows of a trace: the rows ([`rows`], [`virtual_list`]), the time [`window`]
//! and the bars in it, the [`ticks`], the [`minimap`], the [`legend`], search ([`search`]), the
//! trace list ([`trace_list`]), the page address ([`url_state`]), the panes' widths
//! ([`pane_widths`]) and the text forms of times ([`format`]). Nothing here reads file bytes: it
//! works on the model and its trees.

pub mod format;
pub mod legend;
pub mod minimap;
pub mod pane_widths;
pub mod rows;
pub mod search;
pub mod ticks;
pub mod trace_list;
pub mod url_state;
pub mod virtual_list;
pub mod window;
