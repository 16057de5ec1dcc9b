//! The waterfall's row elements, recycled and written by hand: each keeps its elements, text
//! nodes and what it last wrote, and a refill writes only what changed. Everything a row says is
//! computed by the core (`sightline_core::insight::row`).

use sightline_core::insight::row::{marks, Mark, RowInfo};
use sightline_core::view::virtual_list::rows_in_place;

use super::Slot;

/// A recycled row element: the slot it serves, the row it shows, and its element.
pub(super) struct RowSlot {
    id: usize,
    entry: Slot,
    pub(super) info: Option<RowInfo>,
    pub(super) dom: RowDom,
}

/// The row elements: those in the DOM, in children order, and those taken out of it (the
/// margins' rows while the view jumps, or rows a shorter list no longer needs), kept to serve
/// again: refilling a row costs less than building one.
#[derive(Default)]
pub(super) struct Rows {
    pub(super) live: Vec<RowSlot>,
    spare: Vec<RowSlot>,
}

/// Makes the children of `parent` the rows of `wanted`, in order: gives the slots that get
/// another row its `info`, takes out those no longer wanted, brings back (or creates) the ones
/// missing, and moves the fewest elements ([`rows_in_place`]) so a scroll of a few rows moves
/// only those. The elements are written by [`RowDom::fill`] afterwards.
pub(super) fn place_rows(
    parent: &web_sys::Element,
    wanted: &[Slot],
    rows: &mut Rows,
    info: impl Fn(&Slot) -> Option<RowInfo>,
) {
    let Rows { live: slots, spare } = rows;
    // Take out the slots no longer wanted.
    let mut k = 0;
    while k < slots.len() {
        if wanted.iter().any(|w| w.id == slots[k].id) {
            k += 1;
        } else {
            let slot = slots.remove(k);
            slot.dom.row.remove();
            spare.push(slot);
        }
    }
    let refill = |slot: &mut RowSlot, w: &Slot| {
        if slot.entry != *w {
            slot.info = info(w);
            slot.entry = w.clone();
        }
    };
    // Refill, bring back or create the wanted ones, noting where each sits among the children.
    let mut was = Vec::with_capacity(wanted.len());
    let mut order = Vec::with_capacity(wanted.len());
    for w in wanted {
        if let Some(k) = slots.iter().position(|s| s.id == w.id) {
            refill(&mut slots[k], w);
            was.push(Some(k));
            order.push(k);
        } else {
            // Out of the DOM: the pass below inserts it in its place.
            let slot = match spare.pop() {
                Some(mut slot) => {
                    slot.id = w.id;
                    refill(&mut slot, w);
                    slot
                }
                None => {
                    let Some(dom) = RowDom::new() else { continue };
                    RowSlot {
                        id: w.id,
                        entry: w.clone(),
                        info: info(w),
                        dom,
                    }
                }
            };
            slots.push(slot);
            was.push(None);
            order.push(slots.len() - 1);
        }
    }
    // `slots` is in children order; put the rows that must move before the next row in place,
    // from the last row up.
    let stays = rows_in_place(&was);
    let mut next: Option<web_sys::Node> = None;
    for (&k, &stay) in order.iter().zip(&stays).rev() {
        let element = &slots[k].dom.row;
        if !stay {
            let _ = parent.insert_before(element, next.as_ref());
        }
        next = Some(element.clone().into());
    }
    // Keep `slots` in children order for the next pass.
    let mut placed: Vec<Option<RowSlot>> = slots.drain(..).map(Some).collect();
    slots.extend(order.iter().filter_map(|&k| placed[k].take()));
}

/// What a row shows beyond its own span: the selection, the folds, the lists it may be in
/// (search matches, the critical path, outliers: sorted node indexes), its bar on the current
/// zoom, and how far along the timeline a duration label may go ([`label_limit`]).
pub(super) struct RowContext<'a> {
    pub(super) selected: Option<u32>,
    pub(super) collapsed: &'a std::collections::HashSet<u32>,
    pub(super) lists: (&'a [u32], &'a [u32], &'a [u32]),
    pub(super) bar: &'a dyn Fn(u32) -> Option<(f64, f64)>,
    pub(super) limit: f64,
}

/// The attributes and texts of a row element that [`RowDom::fill`] writes.
#[derive(Clone, Copy)]
enum Part {
    RowClass,
    Selected,
    TabIndex,
    Expanded,
    RowIndex,
    Level,
    Status,
    Match,
    Critical,
    Depth,
    Toggle,
    Name,
    SvcHidden,
    SvcStyle,
    Svc,
    KindHidden,
    Kind,
    KindTitle,
    BarClass,
    BarStyle,
    DurClass,
    DurStyle,
    Dur,
}
const PARTS: usize = Part::Dur as usize + 1;

/// One row element, built once and refilled: its parts, what each last had written (so a refill
/// writes only what changed), and the marks after its kind icon.
pub(super) struct RowDom {
    pub(super) row: web_sys::Element,
    name_cell: web_sys::Element,
    toggle: web_sys::Element,
    name: web_sys::Text,
    svc: web_sys::Element,
    svc_text: web_sys::Text,
    kind: web_sys::Element,
    bar: web_sys::Element,
    dur: web_sys::Element,
    dur_text: web_sys::Text,
    written: [Option<String>; PARTS],
    marks: Vec<web_sys::Element>,
    marks_shown: Vec<Mark>,
}

impl RowDom {
    /// A row element with its two cells:
    /// `div[role=row].wf-row > (div[role=gridcell].wf-name > span.toggle, span.span-name,
    /// span.svc, span.kind, marks…), (div[role=gridcell].wf-timeline > div.bar, span.dur)`.
    fn new() -> Option<Self> {
        let doc = web_sys::window()?.document()?;
        let el = |tag: &str, parent: Option<&web_sys::Element>, attrs: &[(&str, &str)]| {
            let e = doc.create_element(tag).ok()?;
            for (k, v) in attrs {
                e.set_attribute(k, v).ok()?;
            }
            if let Some(p) = parent {
                p.append_child(&e).ok()?;
            }
            Some(e)
        };
        let text = |parent: &web_sys::Element| {
            let t = doc.create_text_node("");
            parent.append_child(&t).ok().map(|_| t)
        };
        let row = el("div", None, &[("role", "row"), ("class", "wf-row")])?;
        let name_cell = el(
            "div",
            Some(&row),
            &[("role", "gridcell"), ("class", "wf-name")],
        )?;
        let toggle = el(
            "span",
            Some(&name_cell),
            &[("class", "toggle"), ("aria-hidden", "true")],
        )?;
        let name_span = el("span", Some(&name_cell), &[("class", "span-name")])?;
        let name = text(&name_span)?;
        let svc = el("span", Some(&name_cell), &[("class", "svc")])?;
        let svc_text = text(&svc)?;
        let kind = el("span", Some(&name_cell), &[("class", "kind")])?;
        let timeline = el(
            "div",
            Some(&row),
            &[("role", "gridcell"), ("class", "wf-timeline")],
        )?;
        let bar = el("div", Some(&timeline), &[])?;
        let dur = el("span", Some(&timeline), &[])?;
        let dur_text = text(&dur)?;
        Some(Self {
            row,
            name_cell,
            toggle,
            name,
            svc,
            svc_text,
            kind,
            bar,
            dur,
            dur_text,
            written: Default::default(),
            marks: Vec::new(),
            marks_shown: Vec::new(),
        })
    }

    /// Writes `value` into `part` (an attribute, removed for `None`, or a text) unless it is
    /// what the part already has.
    fn put(&mut self, part: Part, value: Option<&str>) {
        let was = &mut self.written[part as usize];
        if was.as_deref() == value {
            return;
        }
        let (el, name) = match part {
            Part::Name | Part::Svc | Part::Dur => {
                let text = match part {
                    Part::Name => &self.name,
                    Part::Svc => &self.svc_text,
                    _ => &self.dur_text,
                };
                text.set_data(value.unwrap_or_default());
                *was = value.map(str::to_owned);
                return;
            }
            Part::RowClass => (&self.row, "class"),
            Part::Selected => (&self.row, "aria-selected"),
            Part::TabIndex => (&self.row, "tabindex"),
            Part::Expanded => (&self.row, "aria-expanded"),
            Part::RowIndex => (&self.row, "aria-rowindex"),
            Part::Level => (&self.row, "aria-level"),
            Part::Status => (&self.row, "data-status"),
            Part::Match => (&self.row, "data-match"),
            Part::Critical => (&self.row, "data-critical"),
            Part::Depth => (&self.name_cell, "style"),
            Part::Toggle => (&self.toggle, "data-state"),
            Part::SvcHidden => (&self.svc, "hidden"),
            Part::SvcStyle => (&self.svc, "style"),
            Part::KindHidden => (&self.kind, "hidden"),
            Part::Kind => (&self.kind, "data-kind"),
            Part::KindTitle => (&self.kind, "title"),
            Part::BarClass => (&self.bar, "class"),
            Part::BarStyle => (&self.bar, "style"),
            Part::DurClass => (&self.dur, "class"),
            Part::DurStyle => (&self.dur, "style"),
        };
        let _ = match value {
            Some(v) => el.set_attribute(name, v),
            None => el.remove_attribute(name),
        };
        *was = value.map(str::to_owned);
    }

    /// Shows `info` (nothing, for a node the trace no longer has) in `ctx`'s state.
    pub(super) fn fill(&mut self, info: Option<&RowInfo>, ctx: &RowContext) {
        let flag = |f: fn(&RowInfo) -> bool| info.is_some_and(f);
        let index = info.map(|r| r.index);
        let selected = index.is_some() && ctx.selected == index;
        let has_children = flag(|r| r.children > 0);
        let collapsed = index.is_some_and(|i| ctx.collapsed.contains(&i));
        let listed = |list: &[u32]| index.is_some_and(|i| list.binary_search(&i).is_ok());
        let (error, placeholder) = (flag(|r| r.error), flag(|r| r.placeholder));
        let classes = |base: &str, flags: &[(bool, &str)]| {
            let mut class = base.to_string();
            for (on, name) in flags {
                if *on {
                    class.push(' ');
                    class.push_str(name);
                }
            }
            class
        };
        let hue = info.map_or(0, |r| r.hue);
        let depth = info.map_or(0, |r| r.depth);
        let kind = info.map_or("", |r| r.kind);

        self.put(
            Part::RowClass,
            Some(&classes(
                "wf-row",
                &[
                    (selected, "selected"),
                    (error, "error"),
                    (placeholder, "placeholder"),
                ],
            )),
        );
        self.put(
            Part::Selected,
            Some(if selected { "true" } else { "false" }),
        );
        self.put(Part::TabIndex, Some(if selected { "0" } else { "-1" }));
        let expanded = has_children.then_some(if collapsed { "false" } else { "true" });
        self.put(Part::Expanded, expanded);
        self.put(Part::RowIndex, Some(&info.map_or(0, |r| r.pos).to_string()));
        self.put(Part::Level, Some(&(depth + 1).to_string()));
        self.put(Part::Status, error.then_some("error"));
        self.put(Part::Match, listed(ctx.lists.0).then_some("true"));
        self.put(Part::Critical, listed(ctx.lists.1).then_some("true"));
        self.put(Part::Depth, Some(&format!("--depth:{depth}")));
        let toggle = match (has_children, collapsed) {
            (false, _) => "leaf",
            (true, true) => "collapsed",
            (true, false) => "expanded",
        };
        self.put(Part::Toggle, Some(toggle));
        self.put(Part::Name, info.map(|r| r.name.as_str()));
        self.put(Part::SvcHidden, placeholder.then_some(""));
        self.put(Part::SvcStyle, Some(&format!("--hue:{hue}")));
        self.put(Part::Svc, info.map(|r| r.service.as_str()));
        self.put(Part::KindHidden, placeholder.then_some(""));
        self.put(Part::Kind, Some(kind));
        self.put(Part::KindTitle, Some(&format!("{kind} span")));

        // The bar follows the zoom; the duration goes beside it, kept on screen when the bar is
        // zoomed out of view, and inside the bar when the bar fills the view.
        let (left, width) = index.and_then(ctx.bar).unwrap_or((0.0, 0.0));
        let bar_class = classes(
            "bar",
            &[
                (error, "error"),
                (flag(|r| r.no_time), "no-time"),
                (flag(|r| r.log), "log"),
                (flag(|r| r.pending), "pending"),
                (placeholder, "placeholder"),
            ],
        );
        self.put(Part::BarClass, Some(&bar_class));
        let bar_style = format!(
            "left:{:.4}%;width:max({:.4}%,1px);--hue:{hue}",
            left * 100.0,
            width * 100.0,
        );
        self.put(Part::BarStyle, Some(&bar_style));
        let label_left = (left + width) * 100.0;
        let inside = left <= 0.0 && label_left > ctx.limit;
        let dur_style = if left >= 1.0 {
            "right:0".to_string()
        } else if label_left <= 0.0 || inside {
            "left:0".to_string()
        } else if label_left > ctx.limit {
            format!("right:{:.4}%", (100.0 - left * 100.0).clamp(0.0, 100.0))
        } else {
            format!("left:{label_left:.4}%")
        };
        self.put(
            Part::DurClass,
            Some(if inside { "dur inside" } else { "dur" }),
        );
        self.put(Part::DurStyle, Some(&dur_style));
        self.put(Part::Dur, info.map(|r| r.duration.as_str()));

        let error_below = flag(|r| r.error_below && !r.error) && collapsed;
        let marks = marks(info, error_below, listed(ctx.lists.2));
        if marks != self.marks_shown {
            self.show_marks(marks);
        }
    }

    /// Replaces the marks after the kind icon (most rows have none, before and after).
    fn show_marks(&mut self, marks: Vec<Mark>) {
        for el in self.marks.drain(..) {
            el.remove();
        }
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        for mark in &marks {
            let Ok(el) = doc.create_element("span") else {
                continue;
            };
            let _ = el.set_attribute("class", mark.class);
            let _ = el.set_attribute("title", &mark.title);
            if mark.error {
                // A glyph for the eye and a word for screen readers.
                for (name, value, text) in [
                    ("aria-hidden", "true", "!"),
                    ("class", "visually-hidden", "error"),
                ] {
                    if let Ok(inner) = doc.create_element("span") {
                        let _ = inner.set_attribute(name, value);
                        inner.set_text_content(Some(text));
                        let _ = el.append_child(&inner);
                    }
                }
            } else {
                el.set_text_content(Some(&mark.text));
            }
            if self.name_cell.append_child(&el).is_ok() {
                self.marks.push(el);
            }
        }
        self.marks_shown = marks;
    }
}
