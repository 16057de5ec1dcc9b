//! The browser UI: one component per file, each rendering what the core computed. State lives in
//! [`AppState`], a bundle of signals provided as context, so components can be mounted on their
//! own in tests.

mod app;
mod copy;
mod details;
mod exception;
mod failures;
mod header;
mod json_tree;
mod legend;
mod load;
mod open_button;
mod panic;
mod permalink;
mod preferences;
mod problems;
mod resize;
mod runs;
mod splitter;
pub mod sql;
mod state;
mod timeline;
mod trace_list;
mod waterfall;
mod worker_client;

pub use app::App;
pub use details::SpanDetails;
pub use failures::FailingTests;
pub use header::Header;
pub use open_button::OpenButton;
pub use panic::install_panic_hook;
pub use preferences::{KeyboardHelp, ThemeToggle};
pub use problems::Problems;
pub use runs::{RunsNav, RunsPanel};
pub use state::{AppState, Loaded, Progress};
pub use trace_list::TraceList;
pub use waterfall::Waterfall;
