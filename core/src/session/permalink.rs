//! Between what the user looks at and the page address: [`describe`] writes the view into a
//! [`HashState`], [`locate`] finds a link's view in a loaded session and says what it could not.

use std::collections::HashSet;

use crate::session::Loaded;
use crate::view::url_state::HashState;
use crate::view::window::Window;

/// The most folded subtrees a link records.
pub const MAX_FOLDED: usize = 64;

/// What the user looks at, by index into the loaded session.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct View {
    pub trace: usize,
    pub selected: Option<u32>,
    pub zoom: Option<Window>,
    pub search: String,
    pub folded: HashSet<u32>,
}

/// A link's view found in a session, and what of it is missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Located {
    pub view: View,
    /// What the link names that the session does not hold, in words for the user.
    pub missing: Vec<String>,
}

/// Writes `view` into the view fields of `into` (its sources are left as they are).
pub fn describe(snapshot: &Loaded, view: &View, into: &mut HashState) {
    into.trace = None;
    into.linked = false;
    into.span = None;
    into.zoom = None;
    into.folded.clear();
    into.search = (!view.search.trim().is_empty()).then(|| view.search.clone());
    // A link cannot fetch local files: it names them by content, to ask for them when opened.
    into.files = if into.sources.is_empty() {
        snapshot
            .files
            .iter()
            .filter(|f| !f.fingerprint.is_empty())
            .map(|f| (f.fingerprint.clone(), f.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let Some(tree) = snapshot.tree(view.trace) else {
        return;
    };
    let span_id = |i: u32| {
        tree.nodes
            .get(i as usize)
            .filter(|n| !n.flags.placeholder)
            .map(|n| snapshot.session.spans[n.span as usize].span_id.to_string())
    };
    into.trace = Some(tree.trace_id.to_string());
    into.linked = !tree.members.is_empty();
    into.span = view.selected.and_then(span_id);
    into.zoom = view.zoom.and_then(|z| {
        let whole = Window::of_trace(tree);
        (!z.covers(whole)).then(|| {
            (
                z.start.saturating_sub(tree.start),
                z.end.saturating_sub(tree.start),
            )
        })
    });
    // Folded subtrees travel when they are few (a link stays short); folding whole levels of a
    // big trace is left out of the link rather than making it megabytes long.
    if view.folded.len() <= MAX_FOLDED {
        let mut folded: Vec<u32> = view.folded.iter().copied().collect();
        folded.sort_unstable();
        into.folded = folded.into_iter().filter_map(span_id).collect();
    }
}

/// Finds the view a link describes. Without a trace in the link, the first trace; a trace or
/// span the session lacks is reported, and the rest of the view is still found.
pub fn locate(snapshot: &Loaded, link: &HashState) -> Located {
    let mut out = Located::default();
    let traces = &snapshot.forest.traces;
    if let Some(t) = &link.trace {
        match traces.iter().position(|tr| tr.trace_id.to_string() == *t) {
            Some(i) => out.view.trace = i,
            None => out
                .missing
                .push(format!("trace {t} is not in the loaded files")),
        }
    }
    if link.linked {
        match snapshot.forest.linked_view_of(out.view.trace) {
            Some(v) => out.view.trace = v,
            None => out.missing.push(format!(
                "no trace linked to trace {} is in the loaded files",
                traces
                    .get(out.view.trace)
                    .map(|t| t.trace_id.to_string())
                    .unwrap_or_default()
            )),
        }
    }
    let Some(tree) = snapshot.tree(out.view.trace) else {
        return out;
    };
    let node_of = |id: &str| {
        tree.nodes
            .iter()
            .position(|n| {
                !n.flags.placeholder
                    && snapshot.session.spans[n.span as usize].span_id.to_string() == id
            })
            .and_then(|i| u32::try_from(i).ok())
    };
    if let Some(s) = &link.span {
        match node_of(s) {
            Some(i) => out.view.selected = Some(i),
            None => out.missing.push(format!("span {s} is not in this trace")),
        }
    }
    if let Some((a, b)) = link.zoom {
        let whole = Window::of_trace(tree);
        let z = Window::new(tree.start.saturating_add(a), tree.start.saturating_add(b));
        out.view.zoom = Some(z.fit(whole)).filter(|z| !z.covers(whole));
    }
    out.view.search = link.search.clone().unwrap_or_default();
    out.view.folded = link.folded.iter().filter_map(|id| node_of(id)).collect();
    out
}

/// How a link's local files compare with the files loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Files {
    /// The link names no local file, or every one it names is loaded.
    Match,
    /// Some named file is not loaded: (name, fingerprint) of each missing one.
    Missing(Vec<(String, String)>),
}

/// Whether the files a link was made from are the ones loaded (by content, not name).
pub fn check_files(snapshot: &Loaded, link: &HashState) -> Files {
    let missing: Vec<(String, String)> = link
        .files
        .iter()
        .filter(|(fp, _)| !snapshot.files.iter().any(|f| &f.fingerprint == fp))
        .map(|(fp, name)| (name.clone(), fp.clone()))
        .collect();
    if missing.is_empty() {
        Files::Match
    } else {
        Files::Missing(missing)
    }
}
