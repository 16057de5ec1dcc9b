//! What the trace list shows: one entry per trace (failing traces first, as the forest orders
//! them) and one before each group of linked traces, and the words of each option.

use crate::model::Session;
use crate::trace::tree::{Forest, TraceTree};
use crate::view::format::{format_duration, format_timestamp_utc};

/// One option of the list, computed once per load: only numbers, so a session of tens of
/// thousands of traces (a load test's requests) builds its list quickly. Its texts (see
/// [`texts`]) are made for the options rendered, and for all only once a filter is typed:
/// making them for every trace up front lengthened the task that opens the session.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEntry {
    /// The load this entry belongs to: a new load never reuses an old row.
    pub generation: u64,
    /// The view it shows (a trace, or traces shown together).
    pub index: usize,
    pub spans: usize,
    pub errors: usize,
    /// Duration and start in ns (start 0 without times).
    pub duration: u64,
    pub start: u64,
    pub linked: Linked,
}

/// How an option's trace stands to the traces it links to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Linked {
    /// It links to no other trace of the session.
    Alone,
    /// It links to others, which another option shows it together with.
    Member,
    /// The option shows this many traces together.
    Together(usize),
}

/// What an option says in words: its title (the root span names, " + " between the traces of a
/// joint view), its services, and its trace ids in hex (for the filter).
#[derive(Debug, Default, PartialEq)]
pub struct Texts {
    pub title: String,
    /// Every service, for the filter.
    pub services: String,
    /// The first [`SHOWN_SERVICES`] and how many more, for the option: a trace with a service
    /// per span (a resource per span) would lay out its whole list in one task.
    pub services_shown: String,
    pub trace_ids: String,
}

/// Services an option names before "and N more".
pub const SHOWN_SERVICES: usize = 12;

pub fn texts(session: &Session, forest: &Forest, view: usize) -> Texts {
    let Some(t) = forest.tree(view) else {
        return Texts::default();
    };
    let root_name = |t: &TraceTree| {
        t.root()
            .map(|n| session.shown_name(&session.spans[n.span as usize]))
            .unwrap_or_default()
            .to_string()
    };
    let members: Vec<&TraceTree> = if t.members.is_empty() {
        vec![t]
    } else {
        t.members
            .iter()
            .filter_map(|&m| forest.traces.get(m))
            .collect()
    };
    let services: Vec<&str> = t
        .services
        .iter()
        .map(|&s| session.service_name(s))
        .collect();
    let services_shown = match services.get(..SHOWN_SERVICES) {
        Some(first) if services.len() > SHOWN_SERVICES => format!(
            "{} and {} more",
            first.join(", "),
            services.len() - SHOWN_SERVICES
        ),
        _ => services.join(", "),
    };
    Texts {
        title: members
            .iter()
            .map(|m| root_name(m))
            .collect::<Vec<_>>()
            .join(" + "),
        services: services.join(", "),
        services_shown,
        trace_ids: members
            .iter()
            .map(|m| m.trace_id.to_string())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// One option per trace, failing traces first; a group of traces that link to each other gets
/// one more option before its first trace, showing them together.
pub fn entries_of(forest: &Forest, generation: u64) -> Vec<TraceEntry> {
    let entry = |index: usize, t: &TraceTree, linked: Linked| TraceEntry {
        generation,
        index,
        spans: t.span_count(),
        errors: t.error_count,
        duration: t.end - t.start,
        start: t.start,
        linked,
    };
    let mut out = Vec::with_capacity(forest.traces.len() + forest.linked.len());
    let joined = forest.linked_views();
    for (index, t) in forest.traces.iter().enumerate() {
        let group = joined[index];
        if let Some(view) = group {
            let joined = forest
                .tree(view)
                .filter(|j| j.members.iter().min() == Some(&index));
            if let Some(j) = joined {
                out.push(entry(view, j, Linked::Together(j.members.len())));
            }
        }
        let linked = if group.is_some() {
            Linked::Member
        } else {
            Linked::Alone
        };
        out.push(entry(index, t, linked));
    }
    out
}

impl TraceEntry {
    /// The option's second line: "2 errors · 12 spans · 1.25s" (no errors: no error count).
    pub fn meta(&self) -> (Option<String>, String) {
        let errors = (self.errors > 0).then(|| {
            let s = if self.errors == 1 { "" } else { "s" };
            format!("{} error{s} · ", self.errors)
        });
        (
            errors,
            format!("{} spans · {}", self.spans, format_duration(self.duration)),
        )
    }

    /// When the trace started: the clock time shown (" · 10:00:00.123") and the whole date and
    /// time for its tooltip; `None` without times.
    pub fn started(&self) -> Option<(String, String)> {
        (self.start != 0).then(|| {
            let start = format_timestamp_utc(self.start);
            let time = start.split(' ').nth(1).unwrap_or_default().to_string();
            (format!(" · {time}"), format!("Started {start}"))
        })
    }

    /// The words before the services of an option that shows or joins linked traces.
    pub fn linked_text(&self) -> Option<String> {
        match self.linked {
            Linked::Alone => None,
            Linked::Member => Some("linked · ".to_string()),
            Linked::Together(n) => Some(format!("{n} linked traces together · ")),
        }
    }
}
