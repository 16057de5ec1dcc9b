//! A structured value as an expandable ARIA tree: typed leaves, the model titles its schema gives,
//! containers opened lazily (their children exist only once expanded), long lists and strings cut
//! with a way to see the rest, and the whole value copyable as JSON.

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::CustomAttribute;
use sightline_core::insight::structured::{schema_child, schema_title, Json, Schema, Step};
use wasm_bindgen::JsCast;

use super::copy::CopyButton;

/// Children shown before "Show more".
const PAGE: usize = 50;
/// Characters of a string shown before "Show all".
const LONG_STRING: usize = 300;
/// Levels open when the tree appears.
const OPEN_LEVELS: u32 = 2;

/// Arrow keys move between the tree's visible items; Right and Left open and close.
fn on_tree_key(ev: leptos::ev::KeyboardEvent) {
    let Some(tree) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let Some(active) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
    else {
        return;
    };
    let items = tree.query_selector_all("[role=treeitem]").ok();
    let Some(items) = items else { return };
    let list: Vec<web_sys::HtmlElement> = (0..items.length())
        .filter_map(|i| items.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    let Some(pos) = list.iter().position(|e| {
        let el: &web_sys::Element = e.as_ref();
        *el == active
    }) else {
        return;
    };
    let current = &list[pos];
    let expanded = current.get_attribute("aria-expanded");
    let target = match ev.key().as_str() {
        "ArrowDown" => list.get(pos + 1),
        "ArrowUp" => pos.checked_sub(1).and_then(|p| list.get(p)),
        "Home" => list.first(),
        "End" => list.last(),
        "ArrowRight" | "ArrowLeft" | "Enter" | " " => {
            let open = expanded.as_deref() == Some("true");
            let wants = match ev.key().as_str() {
                "ArrowRight" => !open && expanded.is_some(),
                "ArrowLeft" => open,
                _ => expanded.is_some(),
            };
            if wants {
                if let Some(toggle) = current
                    .query_selector(":scope > .jt-row")
                    .ok()
                    .flatten()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    toggle.click();
                }
            }
            ev.prevent_default();
            return;
        }
        _ => return,
    };
    ev.prevent_default();
    if let Some(t) = target {
        let _ = t.focus();
    }
}

/// The tree of `value`, named `label`, with model titles from `schema` (a JSON schema of the
/// value, e.g. from `logfire.json_schema`).
/// Paths (`$.lines[1].quantity`, as `json_diff` writes them) to mark as differing; the
/// containers on the way to one open.
pub type Marks = std::sync::Arc<Vec<String>>;

#[component]
pub fn JsonTree(
    label: String,
    value: Json,
    schema: Option<Schema>,
    #[prop(optional)] marks: Option<Marks>,
) -> impl IntoView {
    let text = value.to_json();
    let copy = Callback::new(move |()| text.clone());
    let root_title = schema.as_ref().and_then(schema_title);
    let name = label.clone();
    view! {
        <div class="json-block">
            <ul role="tree" aria-label=name class="json-tree" on:keydown=on_tree_key>
                {node_view(label, value, schema, root_title, (1, true), ("$".to_string(), marks))}
            </ul>
            <CopyButton what="value as JSON" text=copy/>
        </div>
    }
}

fn node_view(
    key: String,
    value: Json,
    schema: Option<Schema>,
    title: Option<String>,
    (level, first): (u32, bool),
    (path, marks): (String, Option<Marks>),
) -> AnyView {
    let kind = value.type_name();
    let container = matches!(value, Json::Array(_) | Json::Object(_));
    let marked = marks.as_ref().is_some_and(|m| m.contains(&path));
    let on_the_way = marks.as_ref().is_some_and(|m| {
        m.iter().any(|p| {
            p.len() > path.len()
                && p.starts_with(&path)
                && matches!(p.as_bytes()[path.len()], b'.' | b'[')
        })
    });
    let expanded = RwSignal::new(container && (level <= OPEN_LEVELS || on_the_way));
    let shown = RwSignal::new(PAGE);
    let full_string = RwSignal::new(false);
    let preview = value.preview();
    let count = value.children().len();
    let value = StoredValue::new(value);
    let schema = StoredValue::new(schema);
    let children = move || {
        if !expanded.get() {
            return None;
        }
        let limit = shown.get();
        let items = value.with_value(|v| {
            v.children()
                .into_iter()
                .take(limit)
                .enumerate()
                .map(|(i, (k, child))| {
                    let step = match v {
                        Json::Array(_) => Step::Index(i),
                        _ => Step::Key(k.clone()),
                    };
                    let child_schema = schema
                        .with_value(|s| s.as_ref().and_then(|s| schema_child(s, &step).cloned()));
                    let child_title = child_schema.as_ref().and_then(schema_title);
                    let child_path = match v {
                        Json::Array(_) => format!("{path}[{i}]"),
                        _ => format!("{path}.{k}"),
                    };
                    (k, child.clone(), child_schema, child_title, child_path)
                })
                .collect::<Vec<_>>()
        });
        Some(view! {
            <ul role="group">
                {items
                    .into_iter()
                    .map(|(k, child, s, t, p)| node_view(k, child, s, t, (level + 1, false), (p, marks.clone())))
                    .collect_view()}
                {(count > limit).then(|| view! {
                    <li role="none" class="jt-more">
                        <button type="button" class="link-button" on:click=move |_| shown.update(|n| *n += PAGE)>
                            {format!("Show more ({} of {count} shown)", limit)}
                        </button>
                    </li>
                })}
            </ul>
        })
    };
    let leaf = move || {
        value.with_value(|v| match v {
            Json::Str(s) if s.chars().count() > LONG_STRING && !full_string.get() => {
                let cut: String = s.chars().take(LONG_STRING).collect();
                let total = s.chars().count();
                view! {
                    <span class="jt-value" data-type="string">{format!("\"{cut}…\"")}</span>
                    <button type="button" class="link-button" on:click=move |_| full_string.set(true)>
                        {format!("Show all {total} characters")}
                    </button>
                }
                .into_any()
            }
            Json::Str(s) => view! { <span class="jt-value" data-type="string">{format!("\"{s}\"")}</span> }.into_any(),
            other => view! { <span class="jt-value" data-type=other.type_name()>{other.preview()}</span> }.into_any(),
        })
    };
    let item = view! {
        <li
            role="treeitem"
            class="jt-item"
            data-type=kind
            tabindex=if first { "0" } else { "-1" }
            aria-expanded=move || container.then(|| expanded.get().to_string())
        >
            <span class="jt-row" class:container=container class:jt-differs=marked on:click=move |ev| {
                if container {
                    ev.stop_propagation();
                    expanded.update(|e| *e = !*e);
                }
            }>
                {container.then(|| view! {
                    <span class="jt-toggle" aria-hidden="true">{move || if expanded.get() { "▾" } else { "▸" }}</span>
                })}
                // The root's name is the tree's label (and the row or heading beside it).
                {(level > 1).then(|| view! { <span class="jt-key">{key}</span> })}
                {title.map(|t| view! { <span class="jt-title">{t}</span> })}
                {marked.then_some(view! { <span class="jt-differs-mark" title="differs from the other side">"≠ "</span> })}
                {if container {
                    view! { <span class="jt-preview">{preview}</span> }.into_any()
                } else {
                    leaf.into_any()
                }}
                // Any value can be copied: strings as their text, the rest as JSON.
                {(level > 1).then(|| {
                    let text = value.with_value(|v| match v {
                        Json::Str(s) => s.clone(),
                        other => other.to_json(),
                    });
                    view! { <CopyButton what="this value" text=Callback::new(move |()| text.clone())/> }
                })}
            </span>
            {children}
        </li>
    };
    item.attr("aria-level", level.to_string()).into_any()
}
