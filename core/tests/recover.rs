//! Damaged and cut-off Jaeger and Zipkin files (`decode/recover/`): every whole span is kept,
//! each read as the same span of the whole file would be, and the typed readers read every
//! document as the tree readers do.

mod common;

use common::{decode, seen};

/// Where each element of the array at `path` (keys and indexes from the top; `None` for every
/// element of an array on the way) ends: the byte after its closing brace. For JSON known valid.
fn element_ends(text: &[u8], array_key: Option<&str>) -> Vec<usize> {
    // The array: the top-level one, or the value of the first `"array_key":` member.
    let open = match array_key {
        None => text.iter().position(|&b| b == b'[').expect("an array"),
        Some(key) => {
            let needle = format!("\"{key}\"");
            let at = text
                .windows(needle.len())
                .position(|w| w == needle.as_bytes())
                .expect("the key");
            at + text[at..]
                .iter()
                .position(|&b| b == b'[')
                .expect("its array")
        }
    };
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut ends = Vec::new();
    for (i, &b) in text.iter().enumerate().skip(open) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                match depth {
                    0 => return ends,
                    1 => ends.push(i + 1),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    ends
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(common::repo_root().join("tests/fixtures/corpus").join(name))
        .expect("corpus file")
}

#[test]
fn a_zipkin_file_cut_off_anywhere_reads_as_its_whole_spans_would() {
    // 175 real spans, 8 services, pretty-printed: cut at every 211th byte.
    let bytes =
        corpus("openzipkin__zipkin__zipkin-lens_testdata_smartthings-oauth-authorization.json");
    let items: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("valid");
    let ends = element_ends(&bytes, None);
    assert_eq!(ends.len(), items.len());
    let mut cuts = 0;
    for cut in (1..bytes.len()).step_by(211) {
        let whole = ends.iter().filter(|&&e| e <= cut).count();
        let (session, summary) = decode("cut.json", &bytes[..cut]);
        // The oracle: the same decoder on an array of the whole spans alone.
        let reference = serde_json::to_vec(&items[..whole]).expect("json");
        let (expected, _) = decode("whole.json", &reference);
        assert_eq!(seen(&session), seen(&expected), "cut at {cut}");
        if whole == 0 {
            assert!(
                summary.not_a_trace,
                "cut at {cut}: nothing whole, nothing read"
            );
            continue;
        }
        cuts += 1;
        assert_eq!(summary.format, "Zipkin v2 JSON");
        let warning = session
            .warnings
            .iter()
            .find(|w| w.reason.contains("not valid JSON"))
            .expect("the cut is reported");
        assert!(
            warning.reason.contains(&format!(
                "the document stops at byte {cut} before it is complete (the file looks cut off); the {} whole span",
                expected.spans.len()
            )),
            "cut at {cut}: {}",
            warning.reason
        );
    }
    assert!(cuts > 500, "{cuts} cuts read");
}

#[test]
fn zipkins_list_of_traces_reads_as_its_spans_do_whole_cut_or_damaged() {
    // Zipkin's trace search (`/api/v2/traces`) answers a list of traces, each a list of spans.
    let bytes = corpus("openzipkin__zipkin__zipkin-lens_testdata_yelp.json");
    let items: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("valid");
    let (flat, _) = decode("flat.json", &bytes);
    let half = items.len() / 2;
    let nested = serde_json::to_vec_pretty(&serde_json::json!([&items[..half], &items[half..]]))
        .expect("json");
    let (session, summary) = decode("traces.json", &nested);
    assert_eq!(summary.format, "Zipkin v2 JSON");
    assert_eq!(seen(&session), seen(&flat));
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
    // A span that does not read is named by its list and its place in it.
    let mut lists = serde_json::json!([&items[..half], &items[half..]]);
    lists[1][2]["id"] = serde_json::json!("not hex");
    let (session, _) = decode("traces.json", &serde_json::to_vec(&lists).expect("json"));
    let places: Vec<&str> = session
        .warnings
        .iter()
        .map(|w| w.location.as_str())
        .collect();
    assert_eq!(places, ["[1][2]"], "{:?}", session.warnings);
    // Cut inside the second list: the first list and the whole spans of the second.
    let text = String::from_utf8(nested.clone()).expect("utf-8");
    let second = text.find("],\n  [").expect("the second list");
    let cut = second + text[second..].find("\"name\"").expect("a name");
    let (session, _) = decode("cut.json", &nested[..cut]);
    let (expected, _) = decode(
        "half.json",
        &serde_json::to_vec(&items[..half]).expect("json"),
    );
    assert_eq!(seen(&session), seen(&expected));
    // A quote lost inside the first list: every span but that one.
    let at = text.find("\"name\"").expect("a name");
    let mut damaged = nested.clone();
    damaged.remove(at);
    let (session, _) = decode("damaged.json", &damaged);
    let (expected, _) = decode(
        "others.json",
        &serde_json::to_vec(&items[1..]).expect("json"),
    );
    assert_eq!(seen(&session), seen(&expected), "{:?}", session.warnings);
}

#[test]
fn jaeger_read_by_the_typed_structs_reads_as_its_tree_does() {
    // Every Jaeger file of the corpus, the bare-array fixture, and a trace with a span whose
    // tags are not a list (the typed reader gives up on the document, the tree reader skips
    // that span alone): each reads the same both ways, and the first ones do take the typed path.
    let mut files: Vec<(String, Vec<u8>)> =
        std::fs::read_dir(common::repo_root().join("tests/fixtures/corpus"))
            .expect("corpus")
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("jaegertracing__"))
            })
            .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
            .collect();
    assert!(files.len() >= 2, "{} Jaeger files", files.len());
    let name = "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json";
    let mut bad: serde_json::Value = serde_json::from_slice(&corpus(name)).expect("valid");
    let trace = match bad.get_mut("data") {
        Some(data) => &mut data[0],
        None => &mut bad,
    };
    trace["spans"][1]["tags"] = serde_json::json!("not a list");
    files.push((
        "bad.json".into(),
        serde_json::to_vec_pretty(&bad).expect("json"),
    ));
    for (name, bytes) in &files {
        sightline_core::fuzzing::typed_paths_agree(bytes);
        let before = sightline_core::fuzzing::typed_reads();
        let (_, summary) = decode(name, bytes);
        let typed = sightline_core::fuzzing::typed_reads() - before;
        if summary.format == "Jaeger JSON" && bytes.first() == Some(&b'{') {
            // An envelope or a trace: read by the typed structs unless they reject a part.
            assert_eq!(typed, usize::from(name != "bad.json"), "{name}");
        }
    }
    let (session, _) = decode("bad.json", &files.last().expect("bad").1);
    assert!(
        session
            .warnings
            .iter()
            .any(|w| w.reason.contains("span skipped")),
        "the tree reader still reads the bad trace: {:?}",
        session.warnings
    );
}

#[test]
fn arrays_and_envelopes_read_by_the_typed_structs_read_as_their_trees_do() {
    // Zipkin files as they are and as a list of traces, Jaeger traces and spans as bare
    // arrays, Jaeger envelopes: read by the typed structs, and the same as by the tree readers.
    // With one record the typed structs reject (or an array where a record should be), the
    // whole file goes to the tree readers, which skip that record alone.
    let mut arrays: Vec<(String, Vec<u8>, bool)> = Vec::new();
    for name in [
        "openzipkin__zipkin__zipkin-lens_testdata_skew.json",
        "openzipkin__zipkin__zipkin-lens_testdata_smartthings-oauth-authorization.json",
        "openzipkin__zipkin__zipkin-lens_testdata_yelp.json",
    ] {
        let spans: Vec<serde_json::Value> = serde_json::from_slice(&corpus(name)).expect("json");
        arrays.push((name.into(), corpus(name), true));
        let list: Vec<Vec<serde_json::Value>> =
            spans.chunks(3).map(<[serde_json::Value]>::to_vec).collect();
        arrays.push((
            format!("{name} as a list of traces"),
            serde_json::to_vec(&list).expect("json"),
            true,
        ));
        let mut bad = spans.clone();
        bad[1]["annotations"] = serde_json::json!("not a list");
        arrays.push((
            format!("{name}, a bad span"),
            serde_json::to_vec(&bad).expect("json"),
            false,
        ));
        let mut mixed = spans.clone();
        mixed.insert(1, serde_json::json!([spans[0].clone(), [1, 2]]));
        arrays.push((
            format!("{name}, a span as an array"),
            serde_json::to_vec(&mixed).expect("json"),
            false,
        ));
    }
    for name in [
        "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json",
        "jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-out.json",
    ] {
        let doc: serde_json::Value = serde_json::from_slice(&corpus(name)).expect("json");
        let traces = doc["data"].as_array().cloned().unwrap_or_else(|| vec![doc.clone()]);
        arrays.push((format!("{name} as an array"), serde_json::to_vec(&traces).expect("json"), true));
        let spans: Vec<serde_json::Value> = traces
            .iter()
            .flat_map(|t| t["spans"].as_array().cloned().unwrap_or_default())
            .collect();
        arrays.push((format!("{name} as spans"), serde_json::to_vec(&spans).expect("json"), true));
        let mut bad = traces.clone();
        bad[0]["spans"][1]["logs"] = serde_json::json!(7);
        arrays.push((format!("{name}, a bad span"), serde_json::to_vec(&bad).expect("json"), false));
        let mut bad = spans.clone();
        bad[0]["references"] = serde_json::json!({"x": 1});
        arrays.push((format!("{name} as spans, a bad one"), serde_json::to_vec(&bad).expect("json"), false));
        // A first trace that also has Zipkin's keys (after a long first span, past what is
        // looked at to tell the kind of array) is a Zipkin span to the tree reader.
        let mut zipkin_keys = traces.clone();
        zipkin_keys[0]["spans"][0]["operationName"] = serde_json::json!("x".repeat(70_000));
        zipkin_keys[0]["traceId"] = serde_json::Value::Null;
        zipkin_keys[0]["id"] = serde_json::json!("1");
        let zipkin_keys = serde_json::to_vec(&zipkin_keys).expect("json");
        let at = |key: &[u8]| zipkin_keys.windows(key.len()).position(|w| w == key);
        assert!(at(b"\"spans\"") < Some(65_536) && at(b"\"traceId\"") > Some(65_536));
        arrays.push((format!("{name}, with Zipkin's keys"), zipkin_keys, false));
        // Envelopes too: with Jaeger's own members only (read before the OTLP reader sees
        // them), with one more (read after it found no OTLP in them), and two in a row.
        let envelope = serde_json::json!({"data": traces, "total": 0, "errors": null});
        let mut more = envelope.clone();
        more["x"] = serde_json::json!({"resourceSpans": 1});
        for (what, doc) in [("an envelope", &envelope), ("an envelope with more", &more)] {
            arrays.push((format!("{name} as {what}"), serde_json::to_vec(doc).expect("json"), true));
        }
        let mut two = serde_json::to_vec(&envelope).expect("json");
        two.extend(b"\n");
        two.extend(serde_json::to_vec(&envelope).expect("json"));
        arrays.push((format!("{name} as two envelopes"), two, true));
        let mut positional = traces.clone();
        positional.push(serde_json::json!(["0af7651916cd43dd8448eb211c80319c", []]));
        arrays.push((format!("{name}, a trace as an array"), serde_json::to_vec(&positional).expect("json"), false));
    }
    for (name, bytes, typed) in &arrays {
        sightline_core::fuzzing::typed_paths_agree(bytes);
        let before = sightline_core::fuzzing::typed_reads();
        let (session, summary) = decode(name, bytes);
        let reads = sightline_core::fuzzing::typed_reads() - before;
        let expected = usize::from(*typed)
            * if name.ends_with("two envelopes") {
                2
            } else {
                1
            };
        assert_eq!(reads, expected, "{name}");
        // (With Zipkin's keys, the first trace is a Zipkin span without a readable traceId.)
        assert!(summary.spans > 0 || name.ends_with("keys"), "{name}");
        if name.contains("bad") {
            assert!(
                !session.warnings.is_empty(),
                "{name}: the bad record is reported"
            );
        }
    }
}

#[test]
fn a_jaeger_trace_cut_off_keeps_its_whole_spans_and_says_their_processes_were_lost() {
    for name in [
        "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json",
        "jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-out.json",
    ] {
        let bytes = corpus(name);
        let (whole_session, _) = decode(name, &bytes);
        let whole = seen(&whole_session);
        let ends = element_ends(&bytes, Some("spans"));
        let processes = bytes
            .windows(11)
            .position(|w| w == b"\"processes\"")
            .expect("processes");
        // Every cut before the closing brace (after it, the document is whole).
        let last = bytes.iter().rposition(|&b| b == b'}').expect("closing brace");
        for cut in 1..=last {
            let (session, summary) = decode(name, &bytes[..cut]);
            let complete = ends.iter().filter(|&&e| e <= cut).count();
            if complete == 0 {
                assert!(summary.not_a_trace, "{name} cut at {cut}");
                continue;
            }
            // The oracle: the same decoder on the whole document with only the whole spans,
            // and without its processes while they are not reached.
            let mut reference: serde_json::Value = serde_json::from_slice(&bytes).expect("valid");
            let trace = match reference.get_mut("data") {
                Some(data) => &mut data[0],
                None => &mut reference,
            };
            trace["spans"].as_array_mut().expect("spans").truncate(complete);
            if cut <= processes {
                trace.as_object_mut().expect("trace").remove("processes");
            } else {
                // A process names its service once its serviceName is whole.
                let find = |from: usize, needle: &[u8]| {
                    from + bytes[from..]
                        .windows(needle.len())
                        .position(|w| w == needle)
                        .expect("in the file")
                };
                let map = trace["processes"].as_object_mut().expect("processes");
                map.retain(|id, _| {
                    let key = find(processes, format!("\"{id}\"").as_bytes());
                    let value = find(key, b"\"serviceName\"") + 13;
                    let open = find(value, b"\"");
                    find(open + 1, b"\"") < cut
                });
            }
            let (expected, _) = decode(name, &serde_json::to_vec(&reference).expect("json"));
            assert_eq!(seen(&session), seen(&expected), "{name} cut at {cut}");
            assert_eq!(summary.format, "Jaeger JSON", "{name} cut at {cut}");
            for (id, span) in seen(&session) {
                let Some(full) = whole.get(&id) else { continue };
                assert_eq!(
                    (&span.name, span.start, span.end),
                    (&full.name, full.start, full.end),
                    "{name} cut at {cut}: span {id}"
                );
            }
            let reasons: Vec<&str> = session.warnings.iter().map(|w| w.reason.as_str()).collect();
            assert!(
                reasons.iter().any(|r| r.contains("the file looks cut off")),
                "{name} cut at {cut}: {reasons:?}"
            );
            if cut <= processes {
                // One warning per process the spans name, not one per span.
                let missing = reasons.iter().filter(|r| r.contains("is not in the trace's processes")).count();
                assert!((1..=2).contains(&missing), "{name} cut at {cut}: {reasons:?}");
            }
        }
        // Cut in the processes: every span is kept.
        let (session, _) = decode(name, &bytes[..bytes.len() - 3]);
        assert_eq!(session.spans.len(), whole_session.spans.len(), "{name}");
    }
}

/// `bytes` with the first comma of the first object opening after `from` turned into a space:
/// the damage a lost comma does, inside that object (its first member's value is an id, without
/// commas).
fn lose_a_comma(bytes: &[u8], from: usize) -> Vec<u8> {
    let open = from
        + bytes[from..]
            .iter()
            .position(|&b| b == b'{')
            .expect("a brace");
    let at = open
        + bytes[open..]
            .iter()
            .position(|&b| b == b',')
            .expect("a comma");
    let mut damaged = bytes.to_vec();
    damaged[at] = b' ';
    damaged
}

#[test]
fn a_damaged_zipkin_file_loses_only_the_damaged_span() {
    let bytes = corpus("openzipkin__zipkin__zipkin-lens_testdata_yelp.json");
    let items: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("valid");
    let ends = element_ends(&bytes, None);
    for k in 0..items.len() {
        let damaged = lose_a_comma(&bytes, if k == 0 { 0 } else { ends[k - 1] });
        let (session, summary) = decode("damaged.json", &damaged);
        // The oracle: the same decoder on the spans but the damaged one.
        let mut others = items.clone();
        others.remove(k);
        let (expected, _) = decode("others.json", &serde_json::to_vec(&others).expect("json"));
        assert_eq!(summary.format, "Zipkin v2 JSON", "span {k}");
        assert_eq!(seen(&session), seen(&expected), "span {k}");
        let warning = session
            .warnings
            .iter()
            .find(|w| w.reason.contains("not valid JSON"))
            .expect("reported");
        let kept = items.len() - 1;
        let next = bytes[ends[k]..]
            .iter()
            .position(|&b| b == b'{')
            .map(|n| ends[k] + n);
        let expected_words = match next {
            Some(next) => format!("{kept} whole spans kept in all, the span written only in part where it stops was dropped; reading went on past the damage at byte {next}"),
            // The last span: nothing follows it.
            None => format!("the {kept} whole spans before that point are kept, the span written only in part where it stops was dropped; what follows it was not read"),
        };
        assert!(
            warning.reason.contains(&expected_words),
            "span {k}: {}",
            warning.reason
        );
        if next.is_some() {
            assert!(
                warning
                    .reason
                    .contains(&format!("read {} more span record", items.len() - k - 1)),
                "span {k}: {}",
                warning.reason
            );
        }
    }
}

#[test]
fn a_damaged_jaeger_trace_loses_only_the_damaged_span_and_keeps_its_processes() {
    for name in [
        "jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json",
        "jaegertracing__jaeger__cmd_jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-out.json",
    ] {
        let bytes = corpus(name);
        let ends = element_ends(&bytes, Some("spans"));
        let spans_open = {
            let at = bytes.windows(7).position(|w| w == b"\"spans\"").expect("spans");
            at + bytes[at..].iter().position(|&b| b == b'[').expect("[")
        };
        for k in 0..ends.len() {
            let damaged = lose_a_comma(&bytes, if k == 0 { spans_open } else { ends[k - 1] });
            let (session, summary) = decode(name, &damaged);
            let mut reference: serde_json::Value = serde_json::from_slice(&bytes).expect("valid");
            let trace = match reference.get_mut("data") {
                Some(data) => &mut data[0],
                None => &mut reference,
            };
            trace["spans"].as_array_mut().expect("spans").remove(k);
            let (expected, _) = decode(name, &serde_json::to_vec(&reference).expect("json"));
            assert_eq!(summary.format, "Jaeger JSON", "{name}, span {k}");
            assert_eq!(seen(&session), seen(&expected), "{name}, span {k}");
            let reasons: Vec<&str> = session.warnings.iter().map(|w| w.reason.as_str()).collect();
            assert!(
                reasons.iter().any(|r| r.contains("reading went on past the damage")),
                "{name}, span {k}: {reasons:?}"
            );
            assert!(
                !reasons.iter().any(|r| r.contains("is not in the trace's processes")),
                "{name}, span {k}: the processes after the damage are read: {reasons:?}"
            );
        }
    }
}
