//! The page address follows what the user looks at (trace, span, zoom, search, folded subtrees,
//! next to the `src=` URLs), so any moment can be shared; opening such an address restores it.
//! Selecting another span adds a history entry, so Back and Forward move between selections.

use leptos::prelude::*;
use sightline_core::session::permalink::{check_files, describe, locate, Files, View};
use sightline_core::view::url_state::HashState;

use super::state::{AppState, Loaded};

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Adds `note` to the alert, after what it already says.
fn add_note(state: AppState, note: String) {
    state.failure.update(|f| {
        *f = Some(match f.take() {
            Some(before) => format!("{before} {note}"),
            None => note,
        });
    });
}

/// The address of node `node` of view `view` in the loaded session `d`: its sources (the URLs
/// the session was fetched from, else the local files' fingerprints) and the span.
pub fn span_link(sources: Vec<String>, d: &Loaded, view: usize, node: u32) -> HashState {
    let mut link = HashState {
        sources,
        ..HashState::default()
    };
    let view = View {
        trace: view,
        selected: Some(node),
        ..View::default()
    };
    describe(d, &view, &mut link);
    link
}

/// Shows `link`'s view in the loaded session; says what the session lacks.
pub fn apply(state: AppState, link: &HashState) {
    let located = state
        .data
        .with_untracked(|d| d.as_ref().map(|d| locate(d, link)));
    let Some(located) = located else { return };
    let v = located.view;
    // A link that names no trace keeps the one the load opened on (the first failing test's
    // cause), unless it names a run (see `apply_panels`).
    if link.trace.is_some() && v.trace != state.trace.get_untracked() {
        state.select_trace(v.trace);
    }
    // Only what differs is set: each change recomputes rows, which costs on huge traces.
    if v.selected.is_some() && v.selected != state.selected.get_untracked() {
        state.selected.set(v.selected);
    }
    let folded: std::collections::HashSet<u32> = v.folded.into_iter().collect();
    if state.collapsed.with_untracked(|c| *c != folded) {
        state.collapsed.set(folded);
    }
    if state.zoom.get_untracked() != v.zoom {
        state.zoom.set(v.zoom);
    }
    if state.search.with_untracked(|q| *q != v.search) {
        state.search.set(v.search);
    }
    if link.span.is_some() || link.zoom.is_some() {
        state.reveal.update(|r| *r += 1);
    }
    apply_panels(state, link);
    if !located.missing.is_empty() {
        let note = format!(
            "This link's view is only partly here: {}.",
            located.missing.join("; ")
        );
        add_note(state, note);
    }
}

/// The panels across runs a link names: the exception group, the compared executions, the
/// run when the link names no trace. What the session lacks is said in the alert.
fn apply_panels(state: AppState, link: &HashState) {
    let mut missing = Vec::new();
    let found = state.data.with_untracked(|d| {
        let d = d.as_ref()?;
        let runs = &d.runs;
        let run_trace = if link.trace.is_none() {
            link.run
                .as_ref()
                .and_then(|key| match runs.run_by_key(key) {
                    Some(r) => runs.runs[r].traces.first().map(|&t| t as usize),
                    None => {
                        missing.push(format!("run {key} is not in the loaded files"));
                        None
                    }
                })
        } else {
            None
        };
        let group = link.group.clone().filter(|g| {
            let known = runs.exceptions.iter().any(|x| &x.id == g);
            if !known {
                missing.push(format!("exception group {g} is not in the loaded files"));
            }
            known
        });
        let compare = link.compare.as_ref().and_then(|[(ft, fs), (pt, ps)]| {
            let f = runs.find_execution(&d.session, &d.forest, ft, fs);
            let p = runs.find_execution(&d.session, &d.forest, pt, ps);
            match (f, p) {
                (Some((t, fe)), Some((t2, pe))) if t == t2 => Some((t, fe, pe)),
                _ => {
                    missing.push(
                        "the compared test executions are not in the loaded files".to_string(),
                    );
                    None
                }
            }
        });
        Some((run_trace, group, compare))
    });
    let Some((run_trace, group, compare)) = found else {
        return;
    };
    if let Some(t) = run_trace {
        let view = state
            .data
            .with_untracked(|d| d.as_ref().and_then(|d| d.forest.linked_view_of(t)))
            .unwrap_or(t);
        state.select_trace(view);
    }
    if state.group.get_untracked() != group {
        state.group.set(group);
    }
    if state.compare.get_untracked() != compare {
        state.compare.set(compare);
    }
    let panel = match link.panel {
        Some(sightline_core::view::url_state::Panel::Compare) if compare.is_none() => None,
        p => p,
    };
    if state.panel.get_untracked() != panel {
        state.panel.set(panel);
    }
    // A link with a query opens the SQL view with it, and runs it.
    if let Some(sql) = link.sql.clone() {
        if state.sql_query.get_untracked().as_ref() != Some(&sql) {
            state.sql_text.set(sql.clone());
            if panel == Some(sightline_core::view::url_state::Panel::Sql) {
                crate::ui::sql::run(state, sql);
            }
        }
    }
    if !missing.is_empty() {
        add_note(
            state,
            format!(
                "This link's view is only partly here: {}.",
                missing.join("; ")
            ),
        );
    }
}

/// After a load: the view of the link that asked for it, if any. A link made from local files
/// waits until those very files (by content) are opened, asking for them meanwhile.
pub fn restore(state: AppState) {
    let Some(link) = state.restore.get_value() else {
        return;
    };
    let files = state
        .data
        .with_untracked(|d| d.as_ref().map(|d| check_files(d, &link)));
    match files {
        Some(Files::Missing(missing)) => {
            let names = missing
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let opened = state.data.with_untracked(|d| {
                d.as_ref()
                    .map(|d| d.files.iter().map(|f| f.name.clone()).collect::<Vec<_>>())
                    .unwrap_or_default()
            });
            let asked = state.asked_for_files.get_value();
            let same_name = opened
                .iter()
                .any(|o| missing.iter().any(|(name, _)| name == o));
            let note = if asked && same_name {
                format!(
                    "{} is not the file this link was made from (its content differs: fingerprint {} expected), so the linked view is not shown. Open the original {names} to see it.",
                    opened.join(", "),
                    missing.iter().map(|(_, fp)| fp.as_str()).collect::<Vec<_>>().join(", ")
                )
            } else if asked {
                format!("This link was made from {names}, which is not among the files opened. Open {names} to see the linked view.")
            } else {
                format!("Open {names} to see this link's view: the link names a local file, which it cannot carry.")
            };
            state.asked_for_files.set_value(true);
            add_note(state, note);
        }
        Some(Files::Match) => {
            state.restore.set_value(None);
            state.asked_for_files.set_value(false);
            apply(state, &link);
        }
        None => {}
    }
}

/// The address of the current view.
fn current_link(state: AppState) -> Option<HashState> {
    let view = View {
        trace: state.trace.get(),
        selected: state.selected.get(),
        zoom: state.zoom.get(),
        search: state.search.get(),
        folded: state.collapsed.get().into_iter().collect(),
    };
    let mut link = HashState::parse(&location_hash());
    link.sources = state.sources.get_value();
    let panel = state.panel.get();
    let group = state.group.get();
    let compare = state.compare.get();
    let sql = state.sql_query.get();
    state.data.with(|d| {
        let d = d.as_ref()?;
        describe(d, &view, &mut link);
        let runs = &d.runs;
        link.run = (runs.runs.len() > 1)
            .then(|| runs.run_of_view(&d.forest, view.trace))
            .flatten()
            .and_then(|r| runs.runs.get(r as usize))
            .map(|r| r.key.clone());
        link.panel = panel;
        link.sql = sql.filter(|_| panel == Some(sightline_core::view::url_state::Panel::Sql));
        link.group =
            group.filter(|_| panel == Some(sightline_core::view::url_state::Panel::Exceptions));
        link.compare = compare
            .filter(|_| panel == Some(sightline_core::view::url_state::Panel::Compare))
            .and_then(|(t, f, p)| {
                let test = runs.tests.get(t)?;
                let state = runs.compare_state(
                    &d.session,
                    &d.forest,
                    test.executions.get(f)?,
                    test.executions.get(p)?,
                )?;
                state.compare
            });
        Some(())
    })?;
    Some(link)
}

/// Address updates wait this long after the last change, so a zoom or a scroll through
/// selections writes the address once, not once a frame.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(120);

/// Keeps the address in step with the view.
pub fn follow_view(state: AppState) {
    let last_span = StoredValue::new(None::<String>);
    let pending = StoredValue::new(0u64);
    Effect::new(move |_| {
        if state.progress.get().is_some() {
            return;
        }
        // A link still waiting for its files keeps its address until they come.
        state.data.track();
        if state.restore.with_value(Option::is_some) {
            return;
        }
        // Track what the address shows; read it when the view has settled.
        state.trace.track();
        state.selected.track();
        state.zoom.track();
        state.search.track();
        state.collapsed.track();
        state.panel.track();
        state.group.track();
        state.compare.track();
        state.sql_query.track();
        let ticket = pending.get_value() + 1;
        pending.set_value(ticket);
        set_timeout(
            move || {
                if pending.get_value() == ticket {
                    write_address(state, last_span);
                }
            },
            SETTLE,
        );
    });
}

/// Writes the address of the current view now (before copying it, say).
pub fn flush(state: AppState) {
    write_address(state, StoredValue::new(None));
}

fn write_address(state: AppState, last_span: StoredValue<Option<String>>) {
    if state.progress.get_untracked().is_some() || state.restore.with_value(Option::is_some) {
        return;
    }
    let Some(link) = untrack(|| current_link(state)) else {
        return;
    };
    let hash = link.to_hash();
    if hash == location_hash() || (hash.is_empty() && location_hash() == "#") {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(history) = window.history() else {
        return;
    };
    let url = if hash.is_empty() {
        let l = window.location();
        format!(
            "{}{}",
            l.pathname().unwrap_or_default(),
            l.search().unwrap_or_default()
        )
    } else {
        hash
    };
    // A new selection is a step Back can return to; the rest refines the current entry.
    let new_span = link.span.clone();
    let step = last_span.get_value().is_some() && new_span != last_span.get_value();
    last_span.set_value(new_span);
    let _ = if step {
        history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    };
}
