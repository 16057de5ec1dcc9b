//! Application state: the loaded session and what the user is looking at.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use sightline_core::session::permalink::{describe, locate, View};
use sightline_core::session::preview::Glimpse;
use sightline_core::trace::open_at::open_on_failure;
use sightline_core::view::pane_widths::PaneWidths;
use sightline_core::view::rows::{collapse_subtree, expand_subtree, visible_ancestor};
use sightline_core::view::url_state::{HashState, Panel};
use sightline_core::view::window::Window;
use sightline_core::wire::query::{QueryError, QueryOutput};

/// A decoded session with its trees, shared read-only by every component.
pub use sightline_core::Loaded;

/// A load in progress: what, and how many bytes of how many.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub label: String,
    pub done: u64,
    pub total: Option<u64>,
    /// Spans decoded so far, while the bytes still arrive.
    pub spans: Option<u64>,
}

impl Progress {
    pub fn new(label: String, done: u64, total: Option<u64>) -> Progress {
        Progress {
            label,
            done,
            total,
            spans: None,
        }
    }

    /// "Fetching traces.json: 1.2 MB of 3.4 MB", then " (1200 spans so far)" once spans come.
    pub fn text(&self) -> String {
        let mb = |b: u64| {
            let m = b as f64 / 1e6;
            format!("{m:.1} MB")
        };
        let text = match (self.done, self.total) {
            (0, None) => format!("{}…", self.label),
            (d, Some(t)) => format!("{}: {} of {}", self.label, mb(d), mb(t)),
            (d, None) => format!("{}: {}", self.label, mb(d)),
        };
        match self.spans {
            Some(n) if n > 0 => format!("{text} ({n} spans so far)"),
            _ => text,
        }
    }
}

/// Where the query last run stands.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlRun {
    Idle,
    /// The engine's worker is loading (its wasm is fetched and compiled the first time).
    Starting,
    /// The worker is building the table of this many spans.
    Building {
        spans: usize,
    },
    /// Running since this time (ms since the epoch).
    Running {
        started: f64,
    },
    Done {
        output: Arc<QueryOutput>,
        ms: f64,
    },
    Failed(QueryError),
    Cancelled,
}

impl SqlRun {
    /// A query is on its way (the engine loading, the table building, or the query running).
    pub fn busy(&self) -> bool {
        matches!(
            self,
            SqlRun::Starting | SqlRun::Building { .. } | SqlRun::Running { .. }
        )
    }
}

/// Where the user was: trace, selected node and zoom.
pub type Place = (usize, Option<u32>, Option<Window>);

/// Every signal the UI shares. `Copy`, so closures take it by value.
#[derive(Clone, Copy)]
pub struct AppState {
    pub data: RwSignal<Option<Arc<Loaded>>>,
    /// While files still arrive, `data` is a preview of what was decoded so far
    /// ([`sightline_core::session::preview`]): what it shows of the whole, and whether the
    /// files still arrive (false once the load stopped short, the preview then kept).
    pub preview: RwSignal<Option<(Glimpse, bool)>>,
    /// Where the last data shown opened (trace, span, zoom, folds), to tell whether the user
    /// moved since: a preview replaced by the next keeps the place the user chose.
    pub opened_at: StoredValue<Option<HashState>>,
    /// Bumped on every load, so rows of different loads never share a key.
    pub generation: RwSignal<u64>,
    /// Index into the forest's traces.
    pub trace: RwSignal<usize>,
    /// Node index (in the current trace) of the selected span.
    pub selected: RwSignal<Option<u32>>,
    /// Node indices whose subtrees are folded.
    pub collapsed: RwSignal<HashSet<u32>>,
    /// The time range in view, when zoomed (None shows the whole trace).
    pub zoom: RwSignal<Option<Window>>,
    /// Where the user was before following links, most recent last.
    pub history: RwSignal<Vec<Place>>,
    /// Bumped to ask the waterfall to scroll the selection into view.
    pub reveal: RwSignal<u64>,
    /// Highlight the critical path.
    pub critical: RwSignal<bool>,
    /// The timeline column's width in CSS pixels (the minimap's canvas is as wide as the axis),
    /// measured by the time axis on mount and resize; 0 before then.
    pub timeline_px: RwSignal<f64>,
    /// The widths the user gave the panes (kept in local storage; see `splitter`).
    pub panes: RwSignal<PaneWidths>,
    /// The text in the search box.
    pub search: RwSignal<String>,
    /// Show only matching spans (with their ancestors).
    pub only_matches: RwSignal<bool>,
    /// What is being read or fetched right now, for the progress bar.
    pub progress: RwSignal<Option<Progress>>,
    /// Aborts the fetch in progress, if any.
    pub cancel: StoredValue<Option<web_sys::AbortController>, LocalStorage>,
    /// The number of the latest load: each new load supersedes any still in progress.
    pub load: StoredValue<u64>,
    /// The decoder worker at work: the load it serves, and the function that rejects its
    /// answer (for Cancel, or a newer load).
    pub decoder: StoredValue<Option<(u64, web_sys::Worker, js_sys::Function)>, LocalStorage>,
    /// A load that failed as a whole (a fetch error), for the alert.
    pub failure: RwSignal<Option<String>>,
    /// The `#src=` URLs the session came from (empty for local files, pasted text, the sample).
    pub sources: StoredValue<Vec<String>>,
    /// A link's view waiting for its load to finish, to be restored then.
    pub restore: StoredValue<Option<HashState>>,
    /// The user was already asked for the local files a link names.
    pub asked_for_files: StoredValue<bool>,
    /// The panel shown in place of the trace (test history, exceptions, compare, SQL).
    pub panel: RwSignal<Option<Panel>>,
    /// The exception group open in the exceptions panel, by id.
    pub group: RwSignal<Option<String>>,
    /// The executions compared: (test, failing execution, passing execution), indices into
    /// [`sightline_core::insight::runs::CiRuns::tests`] and that test's executions.
    pub compare: RwSignal<Option<(usize, usize, usize)>>,
    /// The SQL view: the text in its editor, the query last run (kept in the address) and
    /// where that run stands.
    pub sql_text: RwSignal<String>,
    pub sql_query: RwSignal<Option<String>>,
    pub sql_run: RwSignal<SqlRun>,
}

/// The first failing test's cause: (view, node), of the newest run when there are several.
fn first_cause(loaded: &Loaded) -> Option<(usize, u32)> {
    let failures = &loaded.failures;
    if !failures.tests {
        return None;
    }
    let f = failures
        .listed
        .iter()
        .find(|f| loaded.runs.in_newest_run(&loaded.forest, f.trace))
        .or(failures.listed.first())?;
    Some((f.trace, f.cause.node))
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

impl AppState {
    pub fn new() -> AppState {
        AppState {
            data: RwSignal::new(None),
            preview: RwSignal::new(None),
            opened_at: StoredValue::new(None),
            generation: RwSignal::new(0),
            trace: RwSignal::new(0),
            selected: RwSignal::new(None),
            collapsed: RwSignal::new(HashSet::new()),
            zoom: RwSignal::new(None),
            history: RwSignal::new(Vec::new()),
            reveal: RwSignal::new(0),
            critical: RwSignal::new(false),
            timeline_px: RwSignal::new(0.0),
            panes: RwSignal::new(super::preferences::stored_pane_widths()),
            search: RwSignal::new(String::new()),
            only_matches: RwSignal::new(false),
            progress: RwSignal::new(None),
            cancel: StoredValue::new_local(None),
            load: StoredValue::new(0),
            decoder: StoredValue::new_local(None),
            failure: RwSignal::new(None),
            sources: StoredValue::new(Vec::new()),
            restore: StoredValue::new(None),
            asked_for_files: StoredValue::new(false),
            panel: RwSignal::new(None),
            group: RwSignal::new(None),
            compare: RwSignal::new(None),
            sql_text: RwSignal::new(String::new()),
            sql_query: RwSignal::new(None),
            sql_run: RwSignal::new(SqlRun::Idle),
        }
    }

    /// Replaces the view with a newly loaded session, on its first trace (with the traces it
    /// links to, when there are any).
    /// With failing tests, it opens on the first failing test's cause (of the newest run, when
    /// there are several), as the failure list and the command-line report name it. A preview
    /// the user moved about in hands its place on (the same trace and span, by id).
    pub fn show(&self, loaded: Loaded) {
        self.replace(loaded, None);
    }

    /// Shows a preview of a load still arriving ([`AppState::show`] otherwise).
    pub fn show_preview(&self, loaded: Loaded, glimpse: Glimpse) {
        self.replace(loaded, Some(glimpse));
    }

    fn replace(&self, loaded: Loaded, glimpse: Option<Glimpse>) {
        let first = loaded.forest.first_view();
        let cause = first_cause(&loaded);
        let previewed = self.preview.get_untracked().is_some();
        // Where the view was, and whether the user moved it from where the preview opened (or
        // was carried there from an earlier preview): that place is kept.
        let before = previewed.then(|| self.place()).flatten();
        let kept = before
            .clone()
            .filter(|here| Some(here) != self.opened_at.get_value().as_ref());
        let panel = self.panel.get_untracked();
        self.data.set(Some(Arc::new(loaded)));
        self.preview.set(glimpse.map(|g| (g, true)));
        self.generation.update(|g| *g += 1);
        self.group.set(None);
        self.compare.set(None);
        // A panel open over a preview stays open; its comparison (by index) does not carry over.
        let keep_panel = previewed && !matches!(panel, Some(Panel::Compare) | Some(Panel::Sql));
        if !keep_panel {
            self.panel.set(None);
        }
        // Results of the previous load's table no longer apply.
        self.sql_run.set(SqlRun::Idle);
        self.sql_query.set(None);
        match cause {
            Some((trace, node)) => {
                self.select_trace(trace);
                self.selected.set(Some(node));
            }
            None => self.select_trace(first),
        }
        self.opened_at.set_value(self.place());
        if let Some(place) = &kept {
            self.go_back_to(place);
        }
        // The waterfall scrolls to the selection, unless the view stayed where it was (a
        // preview replaced by the next, the user scrolling it meanwhile).
        if before.is_none() || self.place() != before {
            self.reveal.update(|r| *r += 1);
        }
    }

    /// The view as an address (its trace and span by id), to find it again in other data.
    fn place(&self) -> Option<HashState> {
        let view = View {
            trace: self.trace.get_untracked(),
            selected: self.selected.get_untracked(),
            zoom: self.zoom.get_untracked(),
            search: String::new(),
            folded: self.collapsed.get_untracked(),
        };
        self.data.with_untracked(|d| {
            let mut place = HashState::default();
            describe(d.as_ref()?, &view, &mut place);
            // The same view in another load's data: the files read so far do not count.
            place.files.clear();
            Some(place)
        })
    }

    /// Shows `place` ([`AppState::place`]) in the data shown, as far as it holds it.
    fn go_back_to(&self, place: &HashState) {
        let Some(located) = self
            .data
            .with_untracked(|d| d.as_ref().map(|d| locate(d, place)))
        else {
            return;
        };
        // Only a place found whole: a trace the next preview has no room for is not half-shown.
        if !located.missing.is_empty() {
            return;
        }
        let v = located.view;
        self.select_trace(v.trace);
        if v.selected.is_some() {
            self.selected.set(v.selected);
        }
        self.collapsed.set(v.folded);
        self.zoom.set(v.zoom);
    }

    /// Opens the comparison of test `test`'s executions `failing` and `passing`.
    pub fn open_compare(&self, test: usize, failing: usize, passing: usize) {
        self.compare.set(Some((test, failing, passing)));
        self.panel.set(Some(Panel::Compare));
    }

    /// Switches to view `i` (a trace, or traces shown together), with everything expanded and
    /// the span where it failed selected (the root when nothing failed).
    pub fn select_trace(&self, i: usize) {
        self.trace.set(i);
        self.collapsed.set(HashSet::new());
        self.zoom.set(None);
        let open = self.data.with_untracked(|d| {
            d.as_ref().and_then(|d| {
                d.tree(i).and_then(|t| match &t.precomputed {
                    Some(p) => p.open_at,
                    None => open_on_failure(&d.session, t),
                })
            })
        });
        self.selected.set(open);
    }

    /// Follows a link to node `node` of trace `trace`, remembering where the user was.
    pub fn go_to(&self, trace: usize, node: u32) {
        let here = (
            self.trace.get_untracked(),
            self.selected.get_untracked(),
            self.zoom.get_untracked(),
        );
        self.history.update(|h| h.push(here));
        self.show_node(trace, node);
    }

    /// Returns to where the user was before the last followed link.
    pub fn back(&self) {
        let Some((trace, selected, zoom)) = self.history.try_update(Vec::pop).flatten() else {
            return;
        };
        match selected {
            Some(node) => self.show_node(trace, node),
            None => self.select_trace(trace),
        }
        self.zoom.set(zoom);
    }

    fn show_node(&self, trace: usize, node: u32) {
        if self.trace.get_untracked() != trace {
            self.select_trace(trace);
        }
        self.selected.set(Some(node));
        self.reveal.update(|r| *r += 1);
    }

    /// Folds node `i` and every node below it (`fold`), or unfolds the whole subtree: Alt- or
    /// Shift-click on a triangle, Shift+Left / Shift+Right.
    pub fn toggle_all(&self, i: u32, fold: bool) {
        let trace = self.trace.get_untracked();
        self.data.with_untracked(|d| {
            let Some(tree) = d.as_ref().and_then(|d| d.tree(trace)) else {
                return;
            };
            self.collapsed.update(|c| {
                if fold {
                    collapse_subtree(tree, c, i);
                } else {
                    expand_subtree(tree, c, i);
                }
            });
        });
        if fold {
            self.keep_selection_shown();
        }
    }

    /// Folds or unfolds the subtree of node `i`.
    pub fn toggle(&self, i: u32) {
        let folded = self.collapsed.try_update(|c| {
            let unfolded = c.remove(&i);
            if !unfolded {
                c.insert(i);
            }
            !unfolded
        });
        if folded == Some(true) {
            self.keep_selection_shown();
        }
    }

    /// A fold that hid the selected span moves the selection to the row that now stands for it
    /// (its closest shown ancestor), so the selection is never on a row nobody can see.
    fn keep_selection_shown(&self) {
        let Some(selected) = self.selected.get_untracked() else {
            return;
        };
        let trace = self.trace.get_untracked();
        let shown = self.data.with_untracked(|d| {
            let tree = d.as_ref().and_then(|d| d.tree(trace))?;
            Some(
                self.collapsed
                    .with_untracked(|c| visible_ancestor(tree, c, selected)),
            )
        });
        if let Some(shown) = shown.filter(|&s| s != selected) {
            self.selected.set(Some(shown));
        }
    }
}
