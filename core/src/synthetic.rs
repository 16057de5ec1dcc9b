//! Deterministic synthetic OTLP/JSON traces: the benchmark's input (`core/examples/generate.rs`)
//! and the decoder worker's warm-up, so the browser compiles the decoding path to optimised code
//! before a real file arrives.
//!
//! `rich` (about 1 KB a span) looks like a CI run of an e2e suite: tests call an API over HTTP,
//! the API queries a database and enqueues work, workers consume it; HTTP, DB and messaging
//! attributes, long SQL and JSON payloads, exception events with stack traces, links.
//! `lean` (about 300 bytes a span) keeps ids, names, times and one attribute.
//! One trace, spans grouped per service into export requests of 1,000 spans, as SDKs batch them.

use std::fmt::Write as _;

/// xorshift64*: deterministic, fast, good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Span {
    id: u64,
    parent: Option<u64>,
    service: usize,
    name: String,
    kind: u8,
    start: u64,
    end: u64,
    error: bool,
    attrs: Vec<(&'static str, String)>,
    int_attrs: Vec<(&'static str, i64)>,
    exception: Option<String>,
    link: Option<u64>,
}

const SERVICES: [&str; 6] = [
    "e2e-tests",
    "order-api",
    "order-worker",
    "inventory",
    "payments",
    "postgres-proxy",
];

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The trace's id: every synthetic span belongs to one trace.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A span id as hex: the span's number spread over 64 bits.
fn hex_id(id: u64) -> String {
    format!("{:016x}", id.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// An OTLP/JSON document of `count` spans (see the module documentation).
pub fn otlp_json(count: usize, rich: bool) -> String {
    let spans = Run::simulate(count, rich);
    write_document(&spans, rich)
}

/// A simulated CI run of an e2e suite, span by span.
struct Run {
    spans: Vec<Span>,
    next_id: u64,
    rng: Rng,
    count: usize,
    rich: bool,
}

impl Run {
    /// The spans of a run of `count` spans: a root, then tests until there are enough.
    fn simulate(count: usize, rich: bool) -> Vec<Span> {
        let mut run = Run {
            spans: Vec::with_capacity(count),
            next_id: 1,
            rng: Rng(0x005E_ED0F_5167_4711),
            count,
            rich,
        };
        let base: u64 = 1_763_769_600_000_000_000; // 2025-11-22T00:00:00Z
        let total = (count as u64) * 2_000_000;
        let root = run.span(
            None,
            0,
            "pytest: e2e".into(),
            1,
            base,
            base + total + 1_000_000,
        );
        let mut clock = base + 500_000;
        let mut test_no = 0;
        while !run.full() {
            test_no += 1;
            clock = run.test(root, test_no, clock);
        }
        run.spans.truncate(count);
        if let Some(r) = run.spans.first_mut() {
            r.end = r.end.max(clock + 1_000_000);
        }
        run.spans
    }

    fn full(&self) -> bool {
        self.spans.len() >= self.count
    }

    /// Adds a span; returns its number.
    fn span(
        &mut self,
        parent: Option<u64>,
        service: usize,
        name: String,
        kind: u8,
        start: u64,
        end: u64,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.spans.push(Span {
            id,
            parent,
            service,
            name,
            kind,
            start,
            end,
            error: false,
            attrs: Vec::new(),
            int_attrs: Vec::new(),
            exception: None,
            link: None,
        });
        id
    }

    /// The span numbered `id`, looked for from the end (it was added recently).
    fn find(&mut self, id: u64) -> Option<&mut Span> {
        self.spans.iter_mut().rev().find(|s| s.id == id)
    }

    /// One test, making one to four calls to the API; returns the clock after it.
    fn test(&mut self, root: u64, test_no: u64, mut clock: u64) -> u64 {
        let test_start = clock;
        let name = format!("test_orders.py::test_case_{test_no}");
        let test = self.span(Some(root), 0, name, 1, test_start, 0);
        let calls = 1 + self.rng.below(4);
        for c in 0..calls {
            if self.full() {
                break;
            }
            clock = self.call(test, test_no, c, clock);
        }
        let test_end = clock + 200_000;
        if let Some(s) = self.find(test) {
            s.end = test_end;
            s.attrs.push(("test.outcome", "passed".into()));
            s.attrs
                .push(("code.filepath", "order_demo/e2e/test_orders.py".into()));
        }
        test_end + 100_000
    }

    /// One HTTP call of a test: the client span, the API's server span, its queries and the job
    /// it enqueues. Returns the clock after it.
    fn call(&mut self, test: u64, test_no: u64, c: u64, clock: u64) -> u64 {
        let t0 = clock + 100_000;
        let dur = 2_000_000 + self.rng.below(40_000_000);
        let status = if self.rng.below(40) == 0 { 500 } else { 200 };
        let client = self.span(Some(test), 0, "POST".into(), 3, t0, t0 + dur);
        let server = self.span(
            Some(client),
            1,
            "POST /orders".into(),
            2,
            t0 + 200_000,
            t0 + dur - 200_000,
        );
        let t = self.queries(server, t0 + 400_000);
        if !self.full() {
            self.job(server, client, (test_no, c), t, status == 500);
        }
        let rich = self.rich;
        if let Some(s) = self.find(server) {
            s.attrs.push(("http.route", "/orders".into()));
            s.int_attrs.push(("http.response.status_code", status));
            s.error = status == 500;
        }
        if let Some(s) = self.find(client) {
            s.attrs.push(("http.request.method", "POST".into()));
            s.attrs.push((
                "url.full",
                format!("http://127.0.0.1:8000/orders?attempt={c}"),
            ));
            s.int_attrs.push(("http.response.status_code", status));
            if rich {
                s.attrs.push(("http.request.body.text", format!("{{\"customer_id\":\"cus_{test_no}\",\"lines\":[{{\"sku\":\"MUG-BLUE\",\"quantity\":{c}}}]}}")));
                s.attrs
                    .push(("user_agent.original", "python-httpx/0.28.1".into()));
            }
        }
        t0 + dur + 300_000
    }

    /// The API's database queries from time `t`; returns the time after them.
    fn queries(&mut self, server: u64, mut t: u64) -> u64 {
        let queries = 1 + self.rng.below(5);
        for q in 0..queries {
            if self.full() {
                break;
            }
            let qd = 100_000 + self.rng.below(2_000_000);
            self.span(Some(server), 5, format!("SELECT orders_{q}"), 3, t, t + qd);
            let rows = if self.rich {
                i64::try_from(self.rng.below(50)).unwrap_or(0)
            } else {
                0
            };
            let rich = self.rich;
            if let Some(s) = self.spans.last_mut() {
                s.attrs.push(("db.system", "postgresql".into()));
                if rich {
                    s.attrs.push(("db.statement", format!(
                        "SELECT o.id, o.customer_id, o.status, o.created_at, l.sku, l.quantity, l.unit_price FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.customer_id = $1 AND o.status IN ('pending', 'reserved') ORDER BY o.created_at DESC LIMIT {}", 10 + q)));
                    s.attrs.push(("db.name", "shop".into()));
                    s.int_attrs.push(("db.rows_affected", rows));
                }
            }
            t += qd + 50_000;
        }
        t
    }

    /// The job the API enqueues at time `t`, consumed by the worker (which fails when the call
    /// does), and, in a rich run, the stock reservation under it.
    fn job(&mut self, server: u64, client: u64, (test_no, c): (u64, u64), t: u64, failing: bool) {
        let wd = 500_000 + self.rng.below(8_000_000);
        let worker = self.span(Some(server), 2, "fulfil order".into(), 5, t, t + wd);
        let payload = self.rich.then(|| {
            let (a, b, express) = (
                self.rng.below(20),
                self.rng.below(300),
                self.rng.below(2) == 0,
            );
            format!(
                "{{\"customer_id\":\"cus_{c}{test_no}\",\"lines\":[{{\"sku\":\"MUG-BLUE\",\"quantity\":{a}}},{{\"sku\":\"TEAPOT-XL\",\"quantity\":{b}}}],\"express\":{express},\"note\":\"generated order {test_no}/{c} for the benchmark, with enough text to look like a real payload\"}}"
            )
        });
        let exception = (self.rich && failing).then(|| format!(
            "Traceback (most recent call last):\n  File \"/builds/acme/order-demo/order_demo/worker.py\", line 63, in fulfil_order\n    reserve_lines(ctx[\"ledger\"], order_id, order[\"lines\"])\n  File \"/builds/acme/order-demo/order_demo/worker.py\", line 42, in reserve\n    raise ValueError(\nValueError: cannot reserve {} x TEAPOT-XL: exceeds warehouse limit of 100\n",
            101 + self.rng.below(200)
        ));
        let linked = self.rich && self.rng.below(10) == 0;
        if let Some(s) = self.spans.last_mut() {
            s.error = failing;
            s.attrs.push(("messaging.system", "redis".into()));
            if let Some(payload) = payload {
                s.attrs
                    .push(("messaging.destination.name", "arq:queue".into()));
                s.attrs.push(("order", payload));
            }
            s.exception = exception;
            if linked {
                s.link = Some(client);
            }
        }
        if !self.full() && self.rich {
            let name = "reserve stock".into();
            self.span(Some(worker), 3, name, 1, t + 100_000, t + wd - 100_000);
        }
    }
}

/// The spans as one export document: grouped per service, 1,000 spans per export request.
fn write_document(spans: &[Span], rich: bool) -> String {
    let mut body = String::with_capacity(spans.len() * if rich { 1100 } else { 320 });
    body.push_str("{\"resourceSpans\":[");
    let mut first_batch = true;
    for (svc, service) in SERVICES.iter().enumerate() {
        let mine: Vec<&Span> = spans.iter().filter(|s| s.service == svc).collect();
        for chunk in mine.chunks(1000) {
            if !first_batch {
                body.push(',');
            }
            first_batch = false;
            let _ = write!(body, "{{\"resource\":{{\"attributes\":[{{\"key\":\"service.name\",\"value\":{{\"stringValue\":{}}}}},{{\"key\":\"ci.job.url\",\"value\":{{\"stringValue\":\"https://ci.example.com/acme/order-demo/-/jobs/4711\"}}}}]}},\"scopeSpans\":[{{\"scope\":{{\"name\":\"bench\",\"version\":\"1.0\"}},\"spans\":[", json(service));
            for (i, s) in chunk.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                write_span(&mut body, s, service, rich);
            }
            body.push_str("]}]}");
        }
    }
    body.push_str("]}\n");
    body
}

/// One span as OTLP/JSON.
fn write_span(body: &mut String, s: &Span, service: &str, rich: bool) {
    let _ = write!(
        body,
        "{{\"traceId\":\"{TRACE_ID}\",\"spanId\":\"{}\"",
        hex_id(s.id)
    );
    if let Some(p) = s.parent {
        let _ = write!(body, ",\"parentSpanId\":\"{}\"", hex_id(p));
    }
    let _ = write!(body, ",\"name\":{},\"kind\":{},\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":[", json(&s.name), s.kind, s.start, s.end.max(s.start));
    let mut first = true;
    for (k, v) in &s.attrs {
        if !first {
            body.push(',');
        }
        first = false;
        let _ = write!(
            body,
            "{{\"key\":\"{k}\",\"value\":{{\"stringValue\":{}}}}}",
            json(v)
        );
    }
    for (k, v) in &s.int_attrs {
        if !first {
            body.push(',');
        }
        first = false;
        let _ = write!(
            body,
            "{{\"key\":\"{k}\",\"value\":{{\"intValue\":\"{v}\"}}}}"
        );
    }
    if rich {
        // What Logfire and the code-location conventions add to every span.
        if !first {
            body.push(',');
        }
        let _ = write!(
            body,
            "{{\"key\":\"logfire.msg\",\"value\":{{\"stringValue\":{}}}}},{{\"key\":\"logfire.span_type\",\"value\":{{\"stringValue\":\"span\"}}}},{{\"key\":\"logfire.level_num\",\"value\":{{\"intValue\":\"9\"}}}},{{\"key\":\"code.filepath\",\"value\":{{\"stringValue\":\"order_demo/services/{}.py\"}}}},{{\"key\":\"code.function\",\"value\":{{\"stringValue\":\"handle_{}\"}}}},{{\"key\":\"code.lineno\",\"value\":{{\"intValue\":\"{}\"}}}},{{\"key\":\"thread.name\",\"value\":{{\"stringValue\":\"MainThread\"}}}}",
            json(&format!("{} (span {} of the run)", s.name, s.id)),
            service.replace('-', "_"),
            s.kind,
            20 + s.id % 400
        );
    }
    body.push(']');
    if let Some(stack) = &s.exception {
        let _ = write!(body, ",\"events\":[{{\"timeUnixNano\":\"{}\",\"name\":\"exception\",\"attributes\":[{{\"key\":\"exception.type\",\"value\":{{\"stringValue\":\"ValueError\"}}}},{{\"key\":\"exception.message\",\"value\":{{\"stringValue\":\"cannot reserve stock\"}}}},{{\"key\":\"exception.stacktrace\",\"value\":{{\"stringValue\":{}}}}}]}}]", s.end.max(s.start), json(stack));
    }
    if let Some(l) = s.link {
        let _ = write!(
            body,
            ",\"links\":[{{\"traceId\":\"{TRACE_ID}\",\"spanId\":\"{}\"}}]",
            hex_id(l)
        );
    }
    if s.error {
        body.push_str(",\"status\":{\"code\":2,\"message\":\"failed\"}");
    }
    body.push('}');
}
