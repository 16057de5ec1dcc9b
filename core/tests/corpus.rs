//! Every OTLP/JSON file of the shared corpus (real files from other projects) decodes, with the
//! exact span count and the repairs reported.

mod common;

use std::path::PathBuf;

use common::{load, repo_root};

fn corpus(name: &str) -> PathBuf {
    let path = repo_root().join("../shared/corpus").join(name);
    assert!(
        path.exists(),
        "the shared corpus must sit beside the repository: {}",
        path.display()
    );
    path
}

/// (file, spans decoded, unique spans in trees, warnings expected)
const OTLP: &[(&str, usize, usize, usize)] = &[
    ("open-telemetry__opentelemetry-proto__examples_trace.json", 1, 1, 0),
    ("grafana__tempo__pkg_tempopb_trace.json", 1, 1, 0),
    ("jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_apiv3_snapshots_GetTrace.json", 1, 1, 0),
    ("jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-in.json", 2, 1, 0),
    ("jaegertracing__jaeger__internal_storage_integration_fixtures_traces_link_attributes_trace.json", 1, 1, 0),
    ("jaegertracing__jaeger-ui__packages_jaeger-ui_src_utils_fixtures_otlp2jaeger-multi-in.json.txt", 4, 4, 0),
    ("CtrlSpice__otel-desktop-viewer__.github_workflows_span.json", 1, 1, 1),
];

#[test]
fn every_otlp_corpus_file_decodes_with_exact_counts() {
    for &(name, decoded, unique, warnings) in OTLP {
        let (session, summaries, forest) = load(&[corpus(name)]);
        assert_eq!(summaries[0].format, "OTLP/JSON", "{name}");
        assert_eq!(session.spans.len(), decoded, "{name}: spans decoded");
        assert_eq!(forest.span_count(), unique, "{name}: spans in trees");
        assert_eq!(forest.duplicates, decoded - unique, "{name}: duplicates");
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
    assert!(forest.traces[0].nodes[0].flags.missing_parent);
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
