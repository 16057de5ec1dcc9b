//! What a span's attributes mean, by the OpenTelemetry semantic conventions (current names and
//! the older ones real SDKs still write): HTTP, database, messaging, GenAI, code location and
//! test sections, and the CI and source links of a resource. Only http and https URLs become
//! links.

use crate::model::{KeyValue, Session, Span, Value};
use crate::view::url_state::is_http_url;

/// How a field's value is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// A code block (a database query).
    Code,
    /// An http(s) URL: a link.
    Link,
    /// An HTTP status code, with its class: "ok", "client-error" or "server-error".
    Status(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub label: &'static str,
    pub value: String,
    pub kind: FieldKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub fields: Vec<Field>,
}

/// The first of `keys` that the attributes hold, as display text.
fn first(session: &Session, attrs: &[KeyValue], keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        let sym = session.strings.lookup(k)?;
        attrs
            .iter()
            .find(|kv| kv.key == sym)
            .map(|kv| kv.value.display(&session.strings))
            .filter(|v| !v.is_empty())
    })
}

struct Builder<'a> {
    session: &'a Session,
    attrs: &'a [KeyValue],
    fields: Vec<Field>,
}

impl Builder<'_> {
    fn add(&mut self, label: &'static str, keys: &[&str], kind: FieldKind) -> Option<String> {
        let value = first(self.session, self.attrs, keys)?;
        let kind = match kind {
            FieldKind::Link if !is_http_url(&value) => FieldKind::Text,
            k => k,
        };
        self.fields.push(Field {
            label,
            value: value.clone(),
            kind,
        });
        Some(value)
    }

    fn take(&mut self, title: &'static str, out: &mut Vec<Section>) {
        if !self.fields.is_empty() {
            out.push(Section {
                title,
                fields: std::mem::take(&mut self.fields),
            });
        }
    }
}

/// The class of an HTTP status code.
pub fn status_class(code: &str) -> &'static str {
    match code.trim().parse::<u16>() {
        Ok(500..=599) => "server-error",
        Ok(400..=499) => "client-error",
        _ => "ok",
    }
}

/// The semantic sections of a span, in the order a reader wants them.
pub fn sections(session: &Session, span: &Span) -> Vec<Section> {
    let mut out = Vec::new();
    let mut b = Builder {
        session,
        attrs: &span.attributes,
        fields: Vec::new(),
    };
    // Test.
    b.add(
        "Name",
        &[
            "test.case.name",
            "test.nodeid",
            "pytest.nodeid",
            "test.name",
        ],
        FieldKind::Text,
    );
    b.add(
        "Outcome",
        &["test.case.result.status", "test.outcome", "pytest.outcome"],
        FieldKind::Text,
    );
    b.add(
        "Suite",
        &["test.suite.name", "test.module"],
        FieldKind::Text,
    );
    b.take("Test", &mut out);
    // HTTP.
    b.add(
        "Method",
        &["http.request.method", "http.method"],
        FieldKind::Text,
    );
    b.add("Route", &["http.route"], FieldKind::Text);
    b.add("URL", &["url.full", "http.url"], FieldKind::Link);
    if first(session, &span.attributes, &["url.full", "http.url"]).is_none() {
        b.add("Target", &["url.path", "http.target"], FieldKind::Text);
    }
    if let Some(code) = first(
        session,
        &span.attributes,
        &["http.response.status_code", "http.status_code"],
    ) {
        let class = status_class(&code);
        b.fields.push(Field {
            label: "Status",
            value: code,
            kind: FieldKind::Status(class),
        });
    }
    b.add(
        "Server",
        &["server.address", "net.peer.name", "net.host.name"],
        FieldKind::Text,
    );
    b.take("HTTP", &mut out);
    // Database.
    b.add("System", &["db.system.name", "db.system"], FieldKind::Text);
    b.add("Database", &["db.namespace", "db.name"], FieldKind::Text);
    b.add(
        "Operation",
        &["db.operation.name", "db.operation"],
        FieldKind::Text,
    );
    b.add("Query", &["db.query.text", "db.statement"], FieldKind::Code);
    b.take("Database", &mut out);
    // Messaging.
    b.add("System", &["messaging.system"], FieldKind::Text);
    b.add(
        "Destination",
        &["messaging.destination.name", "messaging.destination"],
        FieldKind::Text,
    );
    b.add(
        "Operation",
        &["messaging.operation.type", "messaging.operation"],
        FieldKind::Text,
    );
    b.add("Message id", &["messaging.message.id"], FieldKind::Text);
    b.take("Messaging", &mut out);
    // GenAI.
    b.add(
        "Model",
        &["gen_ai.request.model", "gen_ai.response.model"],
        FieldKind::Text,
    );
    b.add(
        "Input tokens",
        &["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"],
        FieldKind::Text,
    );
    b.add(
        "Output tokens",
        &[
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.completion_tokens",
        ],
        FieldKind::Text,
    );
    b.add("Tool", &["gen_ai.tool.name"], FieldKind::Text);
    b.add(
        "Arguments",
        &["gen_ai.tool.call.arguments"],
        FieldKind::Code,
    );
    b.take("GenAI", &mut out);
    // Code location.
    let file = first(
        session,
        &span.attributes,
        &["code.file.path", "code.filepath"],
    );
    let line = first(
        session,
        &span.attributes,
        &["code.line.number", "code.lineno"],
    );
    if let Some(file) = file {
        b.fields.push(Field {
            label: "File",
            value: match line {
                Some(l) => format!("{file}:{l}"),
                None => file,
            },
            kind: FieldKind::Text,
        });
    }
    b.add(
        "Function",
        &["code.function.name", "code.function"],
        FieldKind::Text,
    );
    b.add("Namespace", &["code.namespace"], FieldKind::Text);
    b.take("Code", &mut out);
    out
}

/// A link to show: label and http(s) URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// The CI and source links of a set of (resource) attributes: the CI job, pipeline run and task
/// run, the commit (repository URL + revision), then any other attribute whose value is an
/// http(s) URL. Values that are not http(s) URLs are never links.
pub fn ci_links(session: &Session, attrs: &[KeyValue]) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    let mut push = |label: &str, url: String| {
        let url = url.trim().to_string();
        if is_http_url(&url) && !out.iter().any(|l| l.url == url) {
            out.push(Link {
                label: label.to_string(),
                url,
            });
        }
    };
    let named = [
        (
            "CI job",
            &["ci.job.url", "cicd.pipeline.task.run.url.full"][..],
        ),
        (
            "Pipeline run",
            &["cicd.pipeline.run.url.full", "ci.pipeline.url"][..],
        ),
    ];
    for (label, keys) in named {
        if let Some(url) = first(session, attrs, keys) {
            push(label, url);
        }
    }
    if let Some(url) = first(session, attrs, &["cicd.pipeline.task.run.url.full"]) {
        push("Task run", url);
    }
    let repo = first(session, attrs, &["vcs.repository.url.full"]);
    let revision = first(
        session,
        attrs,
        &["vcs.ref.head.revision", "vcs.repository.ref.revision"],
    );
    if let (Some(repo), Some(rev)) = (&repo, &revision) {
        let base = repo.trim_end_matches('/').trim_end_matches(".git");
        let path = if base.contains("gitlab") {
            "/-/commit/"
        } else {
            "/commit/"
        };
        push(
            &format!("Commit {}", rev.get(..12).unwrap_or(rev)),
            format!("{base}{path}{rev}"),
        );
    }
    if let Some(repo) = repo {
        push("Repository", repo);
    }
    let mut others: Vec<(String, String)> = attrs
        .iter()
        .filter_map(|kv| match &kv.value {
            Value::Str(s) => {
                let v = session.strings.get(*s);
                is_http_url(v).then(|| (session.strings.get(kv.key).to_string(), v.to_string()))
            }
            _ => None,
        })
        .collect();
    others.sort();
    for (key, url) in others {
        push(&key, url);
    }
    out
}

/// The CI job link of a session: the first resource that names one.
pub fn session_ci_job(session: &Session) -> Option<Link> {
    session.resources.iter().find_map(|r| {
        first(
            session,
            &r.attributes,
            &[
                "ci.job.url",
                "cicd.pipeline.task.run.url.full",
                "cicd.pipeline.run.url.full",
            ],
        )
        .filter(|u| is_http_url(u))
        .map(|url| Link {
            label: "CI job".into(),
            url,
        })
    })
}
