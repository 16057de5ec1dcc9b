//! Stack traces as the runtimes print them, parsed into exceptions and frames: Python (with
//! chained causes), JavaScript/Node, Java (with `Caused by:`), Go panics, .NET (with inner
//! exceptions) and Rust panics. Text in no known format is not parsed ([`parse`] returns `None`)
//! and the caller shows it raw: nothing is ever lost.

/// The runtime that printed a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Python,
    JavaScript,
    Java,
    Go,
    DotNet,
    Rust,
}

impl Language {
    pub fn label(self) -> &'static str {
        match self {
            Language::Python => "Python",
            Language::JavaScript => "JavaScript",
            Language::Java => "Java",
            Language::Go => "Go",
            Language::DotNet => ".NET",
            Language::Rust => "Rust",
        }
    }
}

/// One frame of a stack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    pub function: String,
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The source line, when the runtime printed it (Python).
    pub source: Option<String>,
    /// Library or standard-library code (site-packages, node_modules, the runtime's own files):
    /// folded by default.
    pub library: bool,
}

impl Frame {
    /// A frame known only by its location ("file:line:col"), as a Rust panic header gives it.
    fn at(location: &str) -> Frame {
        let (file, line, column) = split_location(location);
        Frame {
            file,
            line,
            column,
            ..Frame::default()
        }
    }

    /// "file:line" (or the file alone).
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file),
            (Some(l), None) => format!("{}:{l}", self.file),
            _ => self.file.clone(),
        }
    }
}

/// One exception with its stack. Frames are listed as the runtime printed them (Python: the
/// innermost call last; the others: innermost first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exception {
    pub kind: String,
    pub message: String,
    pub frames: Vec<Frame>,
    /// How this block relates to the one printed before it, in the runtime's words ("The above
    /// exception was the direct cause of the following exception", "Caused by").
    pub relation: Option<String>,
}

impl Exception {
    /// The frame where the exception was raised: the innermost frame of the application, else
    /// the innermost frame.
    pub fn raising_frame(&self, innermost_last: bool) -> Option<&Frame> {
        let ordered: Vec<&Frame> = if innermost_last {
            self.frames.iter().rev().collect()
        } else {
            self.frames.iter().collect()
        };
        ordered
            .iter()
            .find(|f| !f.library)
            .or(ordered.first())
            .copied()
    }
}

/// A parsed stack trace: its exceptions in the order printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackTrace {
    pub language: Language,
    pub exceptions: Vec<Exception>,
}

impl StackTrace {
    /// True when frames are printed outermost first, innermost last (Python).
    pub fn innermost_last(&self) -> bool {
        self.language == Language::Python
    }
}

/// Parses a stack trace of any supported runtime; `None` when the text is in none of them.
pub fn parse(text: &str) -> Option<StackTrace> {
    let text = text.replace("\r\n", "\n");
    let parsed =
        if text.contains("Traceback (most recent call last):") || text.contains("\n  File \"") {
            python(&text)
        } else if text.contains("goroutine ") && text.contains(" [") {
            go(&text)
        } else if text.contains("panicked at") || text.contains("stack backtrace:") {
            rust(&text)
        } else if is_dotnet(&text) {
            dotnet(&text)
        } else if is_java(&text) {
            java(&text)
        } else if text.lines().any(|l| l.trim_start().starts_with("at ")) {
            javascript(&text)
        } else {
            None
        };
    parsed.filter(|t| t.exceptions.iter().any(|e| !e.frames.is_empty()))
}

/// Library code by path or name, for any runtime.
fn is_library(file: &str, function: &str) -> bool {
    const PATHS: &[&str] = &[
        "site-packages/",
        "dist-packages/",
        "/lib/python",
        "<frozen ",
        "node_modules/",
        "node:",
        "internal/",
        "<anonymous>",
        "/usr/local/go/src/",
        "/usr/lib/go",
        "/go/pkg/mod/",
        "/rustc/",
        ".cargo/registry/",
        "/library/std/",
        "/library/core/",
    ];
    const FUNCTIONS: &[&str] = &[
        "java.",
        "javax.",
        "jdk.",
        "sun.",
        "com.sun.",
        "kotlin.",
        "System.",
        "Microsoft.",
        "runtime.",
        "std::",
        "core::",
        "alloc::",
        "rust_begin_unwind",
        "__rust",
        "<std",
        "<core",
        "<alloc",
    ];
    let file = file.replace('\\', "/");
    PATHS.iter().any(|p| file.contains(p)) || FUNCTIONS.iter().any(|p| function.starts_with(p))
}

/// "Type: message" (the message may be empty).
fn split_kind(line: &str) -> (String, String) {
    match line.split_once(": ") {
        Some((k, m)) if !k.contains(' ') || k.starts_with("panic") => {
            (k.to_string(), m.to_string())
        }
        _ => match line.strip_suffix(':') {
            Some(k) if !k.contains(' ') => (k.to_string(), String::new()),
            _ => (line.trim().to_string(), String::new()),
        },
    }
}

const PY_RELATIONS: &[&str] = &[
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
];

fn python(text: &str) -> Option<StackTrace> {
    let mut exceptions = Vec::new();
    let mut current = Exception::default();
    let mut in_frames = false;
    let mut message_lines: Vec<String> = Vec::new();
    let mut pending_relation: Option<String> = None;
    let flush = |current: &mut Exception,
                 message_lines: &mut Vec<String>,
                 exceptions: &mut Vec<Exception>| {
        if !message_lines.is_empty() {
            let first = message_lines.remove(0);
            let (kind, message) = split_kind(&first);
            current.kind = kind;
            let mut all = vec![message];
            all.append(message_lines);
            current.message = all.join("\n").trim().to_string();
        }
        if !current.kind.is_empty() || !current.frames.is_empty() {
            exceptions.push(std::mem::take(current));
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if let Some(rel) = PY_RELATIONS.iter().find(|r| trimmed == **r) {
            flush(&mut current, &mut message_lines, &mut exceptions);
            pending_relation = Some(rel.trim_end_matches(':').to_string());
            in_frames = false;
            i += 1;
            continue;
        }
        if trimmed.starts_with("Traceback (most recent call last):") {
            if !message_lines.is_empty() || !current.frames.is_empty() {
                flush(&mut current, &mut message_lines, &mut exceptions);
            }
            current.relation = pending_relation.take();
            in_frames = true;
            i += 1;
            continue;
        }
        if in_frames && trimmed.starts_with("File \"") {
            // File "path", line N, in function
            let rest = &trimmed[6..];
            let (file, after) = rest.split_once('"').unwrap_or((rest, ""));
            let mut frame = Frame {
                file: file.to_string(),
                ..Frame::default()
            };
            for part in after.split(", ") {
                if let Some(n) = part.trim().strip_prefix("line ") {
                    frame.line = n.trim().parse().ok();
                } else if let Some(f) = part.trim().strip_prefix("in ") {
                    frame.function = f.trim().to_string();
                }
            }
            // The source line follows, indented further; then perhaps a line of carets.
            if let Some(next) = lines.get(i + 1) {
                let n = next.trim();
                if !n.is_empty()
                    && next.starts_with("    ")
                    && !n.starts_with("File \"")
                    && !is_caret_line(n)
                {
                    frame.source = Some(n.to_string());
                    i += 1;
                }
            }
            while lines.get(i + 1).is_some_and(|l| is_caret_line(l.trim())) {
                i += 1;
            }
            frame.library = is_library(&frame.file, &frame.function);
            current.frames.push(frame);
            i += 1;
            continue;
        }
        if in_frames && trimmed.starts_with("...") {
            i += 1;
            continue;
        }
        if !trimmed.is_empty() {
            if in_frames && !line.starts_with(' ') {
                in_frames = false;
            }
            if !in_frames {
                message_lines.push(line.to_string());
            }
        }
        i += 1;
    }
    flush(&mut current, &mut message_lines, &mut exceptions);
    Some(StackTrace {
        language: Language::Python,
        exceptions,
    })
}

fn is_caret_line(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| matches!(c, '^' | '~' | ' '))
}

/// "name (file:line:col)", "file:line:col", "async name (file:line:col)".
fn javascript(text: &str) -> Option<StackTrace> {
    let mut exceptions = Vec::new();
    let mut current = Exception::default();
    for line in text.lines() {
        let t = line.trim();
        if t == "}" || t.starts_with("... ") {
            continue;
        }
        if let Some(at) = t.strip_prefix("at ") {
            // util.inspect ends the last frame of an error with a cause with " {".
            let at = at.trim_end_matches(" {");
            let at = at.strip_prefix("async ").unwrap_or(at);
            let (function, location) = match at.rfind(" (") {
                Some(p) if at.ends_with(')') => (&at[..p], &at[p + 2..at.len() - 1]),
                _ => ("", at),
            };
            let (file, line_no, col) = split_location(location);
            let library = is_library(&file, function);
            current.frames.push(Frame {
                function: function.to_string(),
                file,
                line: line_no,
                column: col,
                source: None,
                library,
            });
        } else if !t.is_empty() && !t.starts_with("...") {
            let t = t
                .trim_start_matches("[cause]: ")
                .trim_start_matches("Caused by: ");
            if current.kind.is_empty() && current.frames.is_empty() {
                let (k, m) = split_kind(t);
                current.kind = k;
                current.message = m;
            } else if current.frames.is_empty() {
                // A message over several lines.
                current.message.push('\n');
                current.message.push_str(t);
            } else {
                exceptions.push(std::mem::take(&mut current));
                let (k, m) = split_kind(t);
                current.kind = k;
                current.message = m;
                current.relation = Some("Caused by".into());
            }
        }
    }
    exceptions.push(current);
    Some(StackTrace {
        language: Language::JavaScript,
        exceptions,
    })
}

/// "path:line:col" or "path:line" (the path may contain colons, as in `file:///` or `C:\`).
fn split_location(location: &str) -> (String, Option<u32>, Option<u32>) {
    let mut parts: Vec<&str> = location.rsplitn(3, ':').collect();
    parts.reverse();
    match parts.as_slice() {
        [file, l, c] if l.parse::<u32>().is_ok() && c.parse::<u32>().is_ok() => {
            ((*file).to_string(), l.parse().ok(), c.parse().ok())
        }
        [a, b, c] if c.parse::<u32>().is_ok() => (format!("{a}:{b}"), c.parse().ok(), None),
        [file, l] if l.parse::<u32>().is_ok() => ((*file).to_string(), l.parse().ok(), None),
        _ => (location.to_string(), None, None),
    }
}

fn is_java(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("at ")
            && t.ends_with(')')
            && (t.contains(".java:")
                || t.contains(".kt:")
                || t.contains(".scala:")
                || t.contains("(Native Method)")
                || t.contains("(Unknown Source)"))
    })
}

fn java(text: &str) -> Option<StackTrace> {
    let mut exceptions = Vec::new();
    let mut current = Exception::default();
    for line in text.lines() {
        let t = line.trim();
        if let Some(at) = t.strip_prefix("at ") {
            // pkg.Class.method(File.java:42), maybe with a module prefix "java.base/".
            let (function, inside) = match at.split_once('(') {
                Some((f, rest)) => (f, rest.trim_end_matches(')')),
                None => (at, ""),
            };
            let function = function.rsplit('/').next().unwrap_or(function);
            let (file, line_no) = match inside.split_once(':') {
                Some((f, l)) => (f.to_string(), l.parse().ok()),
                None => (inside.to_string(), None),
            };
            let library = is_library("", function);
            current.frames.push(Frame {
                function: function.to_string(),
                file,
                line: line_no,
                column: None,
                source: None,
                library,
            });
        } else if t.starts_with("... ") && t.ends_with(" more") {
            continue;
        } else if let Some(cause) = t.strip_prefix("Caused by: ") {
            exceptions.push(std::mem::take(&mut current));
            let (k, m) = split_kind(cause);
            current = Exception {
                kind: k,
                message: m,
                frames: Vec::new(),
                relation: Some("Caused by".into()),
            };
        } else if !t.is_empty() {
            if current.kind.is_empty() {
                let (k, m) = split_kind(t);
                current.kind = k;
                current.message = m;
            } else if current.frames.is_empty() {
                current.message.push('\n');
                current.message.push_str(t);
            }
        }
    }
    exceptions.push(current);
    Some(StackTrace {
        language: Language::Java,
        exceptions,
    })
}

fn go(text: &str) -> Option<StackTrace> {
    let mut current = Exception::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut in_stack = false;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if let Some(msg) = t.strip_prefix("panic: ") {
            current.kind = "panic".into();
            current.message = msg.trim_end_matches(" [recovered]").to_string();
        } else if t.starts_with("goroutine ") && t.ends_with(':') {
            in_stack = true;
        } else if in_stack
            && !t.is_empty()
            && !line.starts_with('\t')
            && !t.starts_with("exit status")
        {
            // function(args) then "\tfile:line +0x.."
            let function = t.rfind('(').map_or(t, |p| &t[..p]).to_string();
            let mut frame = Frame {
                function: function.trim_start_matches("created by ").to_string(),
                ..Frame::default()
            };
            if let Some(next) = lines.get(i + 1).filter(|l| l.starts_with('\t')) {
                let loc = next.trim().split(" +0x").next().unwrap_or("");
                let (file, line_no, _) = split_location(loc);
                frame.file = file;
                frame.line = line_no;
                i += 1;
            }
            frame.library = is_library(&frame.file, &frame.function);
            current.frames.push(frame);
        } else if current.kind.is_empty() && !t.is_empty() && !in_stack {
            let (k, m) = split_kind(t);
            current.kind = k;
            current.message = m;
        }
        i += 1;
    }
    Some(StackTrace {
        language: Language::Go,
        exceptions: vec![current],
    })
}

fn rust(text: &str) -> Option<StackTrace> {
    let mut current = Exception {
        kind: "panic".into(),
        ..Exception::default()
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut message = Vec::new();
    let mut in_backtrace = false;
    while i < lines.len() {
        let t = lines[i].trim();
        if let Some(at) = t
            .strip_prefix("thread '")
            .and_then(|r| r.split_once(" panicked at "))
            .map(|(_, at)| at)
        {
            // Rust 1.73+: "thread 'main' panicked at src/main.rs:5:5:" then the message (1.90+
            // adds the thread id: "thread 'main' (2668) panicked at"); older: "thread 'main'
            // panicked at 'message', src/main.rs:5:5".
            if let Some(old) = at.strip_prefix('\'') {
                if let Some((msg, loc)) = old.rsplit_once("', ") {
                    message.push(msg.to_string());
                    current.frames.push(Frame::at(loc));
                }
            } else {
                let loc = at.trim_end_matches(':');
                current.frames.push(Frame::at(loc));
            }
        } else if t == "stack backtrace:" {
            in_backtrace = true;
            // The panic location stands in for the stack until the backtrace gives real frames.
            current.frames.clear();
        } else if in_backtrace {
            if let Some((n, function)) = t.split_once(": ") {
                if n.chars().all(|c| c.is_ascii_digit()) {
                    let mut frame = Frame {
                        function: function.to_string(),
                        ..Frame::default()
                    };
                    if let Some(loc) = lines.get(i + 1).and_then(|l| l.trim().strip_prefix("at ")) {
                        let (file, l, c) = split_location(loc);
                        frame.file = file;
                        frame.line = l;
                        frame.column = c;
                        i += 1;
                    }
                    frame.library = is_library(&frame.file, &frame.function);
                    current.frames.push(frame);
                }
            }
            if t.starts_with("note:") {
                in_backtrace = false;
            }
        } else if !t.is_empty() && !t.starts_with("note:") {
            message.push(t.to_string());
        }
        i += 1;
    }
    current.message = message.join("\n");
    Some(StackTrace {
        language: Language::Rust,
        exceptions: vec![current],
    })
}

fn is_dotnet(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("at ")
            && (t.contains(") in ") && t.contains(":line ") || t.starts_with("at System."))
    }) || text.contains("--- End of inner exception stack trace ---")
}

fn dotnet(text: &str) -> Option<StackTrace> {
    // The outer exception first, then each inner one; frames go to the exception whose stack is
    // being printed: an inner exception's stack comes first, closed by "--- End of inner
    // exception stack trace ---", then the outer one's continues.
    let mut exceptions: Vec<Exception> = vec![Exception::default()];
    let mut target = 0usize;
    for line in text.lines() {
        let t = line.trim();
        if let Some(at) = t.strip_prefix("at ") {
            let (function, location) = match at.split_once(") in ") {
                Some((f, loc)) => (format!("{f})"), loc),
                None => (at.to_string(), ""),
            };
            let (file, line_no) = match location.rsplit_once(":line ") {
                Some((f, l)) => (f.to_string(), l.trim().parse().ok()),
                None => (location.to_string(), None),
            };
            let library = is_library(&file, &function);
            exceptions[target].frames.push(Frame {
                function,
                file,
                line: line_no,
                column: None,
                source: None,
                library,
            });
        } else if t.starts_with("--- End of inner exception stack trace ---") {
            target = target.saturating_sub(1);
        } else if t.starts_with("--- ") {
            continue;
        } else if !t.is_empty() {
            let mut pieces = t.split("--->").map(str::trim).filter(|p| !p.is_empty());
            if !t.starts_with("--->") {
                if let Some(first) = pieces.next() {
                    let e = &mut exceptions[target];
                    if e.kind.is_empty() {
                        let (k, m) = split_kind(first);
                        e.kind = k;
                        e.message = m;
                    } else if e.frames.is_empty() {
                        e.message.push('\n');
                        e.message.push_str(first);
                    }
                }
            }
            for inner in pieces {
                let (kind, message) = split_kind(inner);
                exceptions.push(Exception {
                    kind,
                    message,
                    frames: Vec::new(),
                    relation: Some("Inner exception".into()),
                });
                target = exceptions.len() - 1;
            }
        }
    }
    Some(StackTrace {
        language: Language::DotNet,
        exceptions,
    })
}
