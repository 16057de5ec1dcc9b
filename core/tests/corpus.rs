//! Every file of the corpus (real files from other projects, in tests/fixtures/corpus) decodes, with the
//! exact span count and the repairs reported.

mod common;

use std::path::PathBuf;

use common::{load, repo_root};

fn corpus(name: &str) -> PathBuf {
    let path = repo_root().join("tests/fixtures/corpus").join(name);
    assert!(
        path.exists(),
        "the corpus file is missing: {}",
        path.display()
    );
    path
}

/// Every file of the corpus: (file, format, spans shown, exact duplicates dropped, spans whose
/// parent is missing, failing spans, warnings).
const CORPUS: &[(&str, &str, usize, usize, usize, usize, usize)] = &[
    ("open-telemetry__opentelemetry-proto__examples_trace.json", "OTLP/JSON", 1, 0, 1, 0, 0),
    ("grafana__tempo__pkg_tempopb_trace.json", "OTLP/JSON", 1, 0, 1, 0, 0),
    ("jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_apiv3_snapshots_GetTrace.json", "OTLP/JSON", 1, 0, 0, 1, 0),
    ("jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-in.json", "OTLP/JSON", 1, 1, 1, 0, 0),
    ("jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-out.json", "Jaeger JSON", 1, 1, 1, 0, 0),
    ("jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json", "Jaeger JSON", 5, 0, 0, 1, 2),
    ("jaegertracing__jaeger__internal_storage_integration_fixtures_traces_link_attributes_trace.json", "OTLP/JSON", 1, 0, 0, 0, 0),
    ("jaegertracing__jaeger__cmd_anonymizer_app_uiconv_fixtures_trace_success.json", "Jaeger JSON", 2, 0, 1, 1, 0),
    ("jaegertracing__jaeger-ui__packages_jaeger-ui_src_utils_fixtures_otlp2jaeger-multi-in.json.txt", "OTLP/JSON", 4, 0, 0, 0, 0),
    ("openzipkin__zipkin__zipkin-lens_testdata_skew.json", "Zipkin v2 JSON", 4, 0, 0, 0, 0),
    ("openzipkin__zipkin__zipkin-lens_testdata_yelp.json", "Zipkin v2 JSON", 16, 0, 0, 0, 0),
    ("openzipkin__zipkin__zipkin-lens_testdata_smartthings-oauth-authorization.json", "Zipkin v2 JSON", 175, 0, 0, 2, 0),
    ("CtrlSpice__otel-desktop-viewer__.github_workflows_span.json", "OTLP/JSON", 1, 0, 0, 0, 1),
];

#[test]
fn every_corpus_file_loads_with_exact_counts() {
    let listed: Vec<&str> = CORPUS.iter().map(|c| c.0).collect();
    let dir = repo_root().join("tests/fixtures/corpus");
    for entry in std::fs::read_dir(&dir).expect("corpus folder") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            name == "SOURCES.md" || listed.contains(&name.as_str()),
            "{name} is not covered by this test"
        );
    }
    for &(name, format, spans, duplicates, missing, errors, warnings) in CORPUS {
        let (session, summaries, forest) = load(&[corpus(name)]);
        assert_eq!(summaries[0].format, format, "{name}");
        assert_eq!(forest.span_count(), spans, "{name}: spans shown");
        assert_eq!(forest.duplicates, duplicates, "{name}: duplicates");
        assert_eq!(forest.missing_parents, missing, "{name}: missing parents");
        assert_eq!(forest.error_count(), errors, "{name}: errors");
        assert_eq!(
            session.warnings.len(),
            warnings,
            "{name}: {:?}",
            session.warnings
        );
    }
}

#[test]
fn spec_example_reads_upper_case_hex_and_missing_parent() {
    let (session, _, forest) = load(&[corpus(
        "open-telemetry__opentelemetry-proto__examples_trace.json",
    )]);
    let span = &session.spans[0];
    assert_eq!(
        span.trace_id.to_string(),
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(session.service_of(span), "my.service");
    assert_eq!(session.strings.get(span.name), "I'm a server span");
    // The span's parent is not in the file: it hangs under a "missing parent" row.
    assert!(forest.traces[0].nodes[0].flags.placeholder);
    assert!(forest.traces[0].nodes[1].flags.missing_parent);
    assert_eq!(forest.missing_parents, 1);
}

#[test]
fn jaeger_v3_wrapper_keeps_the_error_span_without_times() {
    let (session, _, forest) = load(&[corpus(
        "jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_apiv3_snapshots_GetTrace.json",
    )]);
    assert_eq!(session.spans[0].start, 0);
    assert_eq!(forest.error_count(), 1);
    assert_eq!(session.service_of(&session.spans[0]), "unknown_service");
}

#[test]
fn malformed_any_value_is_repaired_and_reported() {
    let (session, _, _) = load(&[corpus(
        "CtrlSpice__otel-desktop-viewer__.github_workflows_span.json",
    )]);
    assert_eq!(session.service_of(&session.spans[0]), "test-with-curl");
    let w = &session.warnings[0];
    assert!(w.reason.contains("anyValue"), "{w}");
    assert!(w.reason.contains("service.name"), "{w}");
}

#[test]
fn json_lines_from_the_collector_join_one_trace() {
    let (session, _, forest) = load(&[corpus(
        "jaegertracing__jaeger-ui__packages_jaeger-ui_src_utils_fixtures_otlp2jaeger-multi-in.json.txt",
    )]);
    assert_eq!(session.spans.len(), 4);
    assert!(!forest.traces.is_empty());
}

#[test]
fn link_attributes_of_every_scalar_type_are_kept() {
    let (session, _, _) = load(&[corpus(
        "jaegertracing__jaeger__internal_storage_integration_fixtures_traces_link_attributes_trace.json",
    )]);
    let links = &session.spans[0].links;
    assert!(!links.is_empty());
    let types: Vec<&str> = links
        .iter()
        .flat_map(|l| l.attributes.iter().map(|kv| kv.value.type_name()))
        .collect();
    for t in ["string", "bool", "int", "double", "bytes"] {
        assert!(
            types.contains(&t),
            "link attribute of type {t} missing: {types:?}"
        );
    }
}

#[test]
fn jaeger_references_become_parents_and_links() {
    let (session, _, forest) = load(&[corpus(
        "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json",
    )]);
    let tree = &forest.traces[0];
    let find = |id: &str| {
        session
            .spans
            .iter()
            .find(|s| s.span_id.to_string() == id)
            .expect(id)
    };
    let reference_test = find("0000000000000004");
    assert_eq!(
        reference_test.parent_id.map(|p| p.to_string()).as_deref(),
        Some("0000000000000002")
    );
    let links: Vec<String> = reference_test
        .links
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l.span_id,
                l.attributes[0].value.display(&session.strings)
            )
        })
        .collect();
    assert_eq!(
        links,
        ["00000000000000ff child_of", "0000000000000002 follows_from"]
    );
    // 64-bit trace ids sit in the low half; times are microseconds turned into nanoseconds.
    assert_eq!(
        tree.trace_id.to_string(),
        "00000000000000000000000000000001"
    );
    assert_eq!(find("0000000000000003").start, 1_485_467_191_639_875_000);
    assert_eq!(find("0000000000000003").duration(), 5_000);
    // Tags keep their types: int64 as a string, binary as base64, bool.
    let tags = &session.spans[1].attributes;
    let show: Vec<String> = tags
        .iter()
        .map(|kv| {
            format!(
                "{}={}",
                session.strings.get(kv.key),
                kv.value.display(&session.strings)
            )
        })
        .collect();
    assert!(
        show.contains(&"javascript_limit=9223372036854775222".to_string()),
        "{show:?}"
    );
    assert!(show.contains(&"blob=00003039".to_string()), "{show:?}");
    assert!(show.contains(&"error=true".to_string()), "{show:?}");
    assert_eq!(session.service_of(find("0000000000000003")), "service-y");
}

#[test]
fn zipkin_shared_ids_are_kept_apart() {
    let (session, _, forest) =
        load(&[corpus("openzipkin__zipkin__zipkin-lens_testdata_skew.json")]);
    let tree = &forest.traces[0];
    let outline: Vec<String> = tree
        .nodes
        .iter()
        .map(|n| {
            let s = &session.spans[n.span as usize];
            format!(
                "{}{} {} {}",
                "  ".repeat(n.depth as usize),
                session.service_of(s),
                s.kind.label(),
                session.strings.get(s.name)
            )
        })
        .collect();
    assert_eq!(
        outline,
        [
            "servicea server get",
            "  servicea client post",
            "    serviceb server post",
            "      serviceb internal async",
        ]
    );
}

#[test]
fn zipkin_messaging_fan_out_keeps_every_receiver() {
    let (session, _, _) = load(&[corpus(
        "openzipkin__zipkin__zipkin-lens_testdata_smartthings-oauth-authorization.json",
    )]);
    let receivers = session
        .spans
        .iter()
        .filter(|s| session.strings.get(s.name) == "receive iot-events360")
        .count();
    assert_eq!(receivers, 5);
    let no_duration = session
        .spans
        .iter()
        .filter(|s| s.start > 0 && s.end == 0)
        .count();
    assert_eq!(
        no_duration, 19,
        "spans without a duration keep an unknown end"
    );
}

#[test]
fn spans_without_a_name_are_shown_as_such() {
    // Zipkin's redirect hops in this file carry no name: rows and titles say so, never blank.
    let (session, _, _) = load(&[corpus(
        "openzipkin__zipkin__zipkin-lens_testdata_smartthings-oauth-authorization.json",
    )]);
    let unnamed: Vec<_> = session
        .spans
        .iter()
        .filter(|s| session.display_name(s).is_empty())
        .collect();
    assert!(!unnamed.is_empty());
    for span in unnamed {
        assert_eq!(session.shown_name(span), sightline_core::UNNAMED);
    }
    let named = session
        .spans
        .iter()
        .find(|s| !session.display_name(s).is_empty());
    let named = named.expect("named spans");
    assert_eq!(session.shown_name(named), session.display_name(named));
}

#[test]
fn zipkin_clock_skew_is_visible() {
    let (session, _, forest) =
        load(&[corpus("openzipkin__zipkin__zipkin-lens_testdata_skew.json")]);
    let tree = &forest.traces[0];
    let skewed: Vec<(&str, (u64, u64))> = (0..tree.nodes.len() as u32)
        .filter_map(|i| {
            sightline_core::trace::outliers::skew(&session, tree, i).map(|s| {
                (
                    session
                        .strings
                        .get(session.spans[tree.nodes[i as usize].span as usize].name),
                    s,
                )
            })
        })
        .collect();
    // The client "post" starts after its server parent "get" starts; its server starts 63 ms
    // before the client that called it: skew between the two hosts.
    assert!(
        skewed
            .iter()
            .any(|(name, (before, _))| *name == "post" && *before > 60_000_000),
        "{skewed:?}"
    );
}

#[test]
fn links_locate_their_target_when_it_is_loaded() {
    let (session, _, forest) = load(&[corpus(
        "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json",
    )]);
    let span = session
        .spans
        .iter()
        .find(|s| s.span_id.to_string() == "0000000000000004")
        .expect("span 4");
    let targets: Vec<Option<(usize, u32)>> = span
        .links
        .iter()
        .map(|l| forest.locate(&session, l.trace_id, l.span_id))
        .collect();
    assert_eq!(targets[0], None, "the other trace is not loaded");
    let (t, n) = targets[1].expect("same-trace link found");
    assert_eq!(
        session.spans[forest.traces[t].nodes[n as usize].span as usize]
            .span_id
            .to_string(),
        "0000000000000002"
    );
}
