//! Compressed and packed inputs, built in memory from the real fixtures the way CI artifacts
//! arrive, and recognised by content whatever their names say.

mod common;

use std::io::{Read, Write};

use common::{fixture, load};

fn edge(name: &str) -> std::path::PathBuf {
    fixture(&format!("edge/{name}"))
}
use sightline_core::{decode_file, Forest, Session};

fn sample() -> Vec<u8> {
    std::fs::read(fixture("order-e2e.json")).expect("sample")
}

fn sample_spans() -> usize {
    load(&[fixture("order-e2e.json")]).2.span_count()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

/// The sample as the Collector's file exporter writes it: one request per line, with the lines
/// in reverse so children arrive before their parents.
fn sample_as_json_lines() -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(&sample()).expect("json");
    let mut lines: Vec<String> = doc["resourceSpans"]
        .as_array()
        .expect("resourceSpans")
        .iter()
        .map(|rs| serde_json::json!({ "resourceSpans": [rs] }).to_string())
        .collect();
    lines.reverse();
    lines
}

fn decode(name: &str, bytes: &[u8]) -> (Session, sightline_core::FileSummary, Forest) {
    let mut session = Session::default();
    let summary = decode_file(&mut session, name, bytes);
    let forest = Forest::build(&session);
    (session, summary, forest)
}

#[test]
fn gzip_is_recognised_by_content_not_name() {
    let (session, summary, forest) = decode("artifact.bin", &gzip(&sample()));
    assert_eq!(summary.format, "gzip: OTLP/JSON");
    assert_eq!(forest.span_count(), sample_spans());
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
}

#[test]
fn a_gzip_or_zip_of_no_trace_is_not_called_neither_gzip_nor_zip() {
    let log = b"FAILED test_orders.py::test_bulk_order - assert 500 == 200\n";
    let (session, summary, _) = decode("pytest.log.gz", &gzip(log));
    assert!(summary.not_a_trace);
    let reasons: Vec<&str> = session.warnings.iter().map(|w| w.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["not a trace file: gzip data that is not JSON; it begins \"FAILED test_orders.py::test_bulk_order -…\""]
    );
    // A zip with nothing readable after its first header.
    let (session, summary, _) = decode("broken.zip", b"PK\x03\x04 not really a zip");
    assert!(summary.not_a_trace);
    let reasons: Vec<&str> = session.warnings.iter().map(|w| w.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("zip"))
            && !reasons.iter().any(|r| r.contains("neither JSON")),
        "{reasons:?}"
    );
}

#[test]
fn a_cut_gzip_keeps_what_came_before_and_says_where() {
    let lines = sample_as_json_lines().join("\n");
    let packed = gzip(lines.as_bytes());
    let (session, _, forest) = decode("cut.jsonl.gz", &packed[..packed.len() * 2 / 3]);
    assert!(forest.span_count() > 0, "the lines before the cut load");
    assert!(forest.span_count() < sample_spans());
    assert!(
        session
            .warnings
            .iter()
            .any(|w| w.reason.contains("gzip data is damaged")),
        "{:?}",
        session.warnings
    );
}

#[test]
fn zstd_json_lines_join_children_to_parents_across_lines() {
    let lines = sample_as_json_lines().join("\n");
    let (session, summary, forest) = decode("traces.jsonl.zst", &zstd(lines.as_bytes()));
    assert_eq!(summary.format, "zstd: OTLP/JSON");
    assert_eq!(forest.span_count(), sample_spans());
    assert_eq!(
        forest.missing_parents, 0,
        "every child found its parent from a later line"
    );
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
}

#[test]
fn collector_length_prefixed_zstd_frames() {
    let mut file = Vec::new();
    for line in sample_as_json_lines() {
        let frame = zstd(line.as_bytes());
        file.extend_from_slice(&u32::try_from(frame.len()).expect("len").to_be_bytes());
        file.extend_from_slice(&frame);
    }
    let (session, summary, forest) = decode("data-2026-11-22.json", &file);
    assert_eq!(summary.format, "zstd frames: OTLP/JSON");
    assert_eq!(forest.span_count(), sample_spans());
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
    // A frame cut off at the end of the file is reported, the rest still loads.
    let (session, _, forest) = decode("cut.json", &file[..file.len() - 5]);
    assert!(forest.span_count() > 0);
    assert!(
        session
            .warnings
            .iter()
            .any(|w| w.reason.contains("cut off")),
        "{:?}",
        session.warnings
    );
}

#[test]
fn zip_artifact_with_folders_reads_every_trace_entry_and_notes_the_rest() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default();
    zip.add_directory("traces/", deflated).expect("dir");
    zip.start_file("traces/order-e2e.json", deflated)
        .expect("entry");
    zip.write_all(&sample()).expect("write");
    zip.start_file("traces/more/zipkin.json.gz", deflated)
        .expect("entry");
    let zipkin = std::fs::read(
        common::repo_root()
            .join("tests/fixtures/corpus/openzipkin__zipkin__zipkin-lens_testdata_yelp.json"),
    )
    .expect("corpus");
    zip.write_all(&gzip(&zipkin)).expect("write");
    zip.start_file("logs/pytest.log", deflated).expect("entry");
    zip.write_all(b"FAILED test_orders.py::test_bulk_order - assert 500 == 200\n")
        .expect("write");
    let bytes = zip.finish().expect("zip").into_inner();

    let (session, summary, forest) = decode("e2e-artifacts.zip", &bytes);
    assert_eq!(summary.format, "zip (2 trace files)");
    assert_eq!(forest.span_count(), sample_spans() + 16);
    assert_eq!(session.warnings.len(), 1, "{:?}", session.warnings);
    let note = &session.warnings[0];
    assert!(note.reason.contains("1 entry is not a trace"), "{note}");
    assert!(
        note.reason.contains("e2e-artifacts.zip/logs/pytest.log"),
        "{note}"
    );
    // Its end lost (the directory is there): entries with their sizes in their own headers.
    let (session, summary, forest) = decode("e2e-artifacts.zip", &bytes[..bytes.len() - 30]);
    assert_eq!(summary.format, "zip (2 trace files)");
    assert_eq!(forest.span_count(), sample_spans() + 16);
    assert!(
        session.warnings.iter().any(|w| w
            .reason
            .contains("3 entries were read from their own headers")),
        "{:?}",
        session.warnings
    );
}

/// A zip written as a streaming writer writes it (GitHub's artifacts): each entry deflated with
/// no size in its local header (flag bit 3) and a data descriptor after its data; then the
/// central directory. Returns the archive and where its central directory begins.
fn streamed_zip(entries: &[(&str, &[u8])]) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).expect("deflate");
        let packed = enc.finish().expect("deflate");
        let offset = u32::try_from(out.len()).expect("small");
        let (csize, usize_) = (
            u32::try_from(packed.len()).expect("small"),
            u32::try_from(data.len()).expect("small"),
        );
        let name_len = u16::try_from(name.len()).expect("short");
        let mut local = b"PK\x03\x04".to_vec();
        local.extend_from_slice(&20u16.to_le_bytes()); // version needed
        local.extend_from_slice(&8u16.to_le_bytes()); // flags: data descriptor
        local.extend_from_slice(&8u16.to_le_bytes()); // deflate
        local.extend_from_slice(&[0; 4]); // time, date
        local.extend_from_slice(&[0; 12]); // crc and sizes: in the descriptor
        local.extend_from_slice(&name_len.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&local);
        out.extend_from_slice(&packed);
        out.extend_from_slice(b"PK\x07\x08");
        for v in [crc.sum(), csize, usize_] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&8u16.to_le_bytes());
        central.extend_from_slice(&8u16.to_le_bytes());
        central.extend_from_slice(&[0; 4]);
        for v in [crc.sum(), csize, usize_] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let directory = out.len();
    let count = u16::try_from(entries.len()).expect("few");
    let (size, at) = (
        u32::try_from(central.len()).expect("small"),
        u32::try_from(directory).expect("small"),
    );
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    (out, directory)
}

#[test]
fn a_zip_cut_off_before_its_directory_reads_its_entries_from_their_own_headers() {
    let zipkin = std::fs::read(
        common::repo_root()
            .join("tests/fixtures/corpus/openzipkin__zipkin__zipkin-lens_testdata_yelp.json"),
    )
    .expect("corpus");
    let log = b"FAILED test_orders.py::test_bulk_order - assert 500 == 200\n".as_slice();
    let sample = sample();
    let (bytes, directory) = streamed_zip(&[
        ("traces/order-e2e.json", &sample),
        ("logs/pytest.log", log),
        ("traces/zipkin.json", &zipkin),
    ]);
    // Whole, the archive reads as any other.
    let (_, summary, forest) = decode("artifact.zip", &bytes);
    assert_eq!(summary.format, "zip (2 trace files)");
    assert_eq!(forest.span_count(), sample_spans() + 16);

    // The download stopped before the directory: every entry still loads, and it is said.
    let (session, summary, forest) = decode("artifact.zip", &bytes[..directory + 10]);
    assert_eq!(summary.format, "zip (2 trace files)");
    assert_eq!(forest.span_count(), sample_spans() + 16);
    let reasons: Vec<&str> = session.warnings.iter().map(|w| w.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("directory is unreadable")
            && r.contains("3 entries were read from their own headers")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("1 entry is not a trace")),
        "{reasons:?}"
    );

    // Stopped inside the last entry: the first loads whole, the cut one keeps its whole spans.
    let last = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x03\x04")
        .expect("the last entry");
    let cut = last + (directory - last) * 2 / 3;
    let (session, summary, forest) = decode("artifact.zip", &bytes[..cut]);
    assert_eq!(
        summary.format, "zip (2 trace files)",
        "{:?}",
        session.warnings
    );
    let zipkin_spans = forest.span_count() - sample_spans();
    assert!(
        (1..16).contains(&zipkin_spans),
        "{zipkin_spans} spans of the cut entry: {:?}",
        session.warnings
    );
    assert!(
        session
            .warnings
            .iter()
            .any(|w| w.source == "artifact.zip/traces/zipkin.json"
                && w.reason.contains("the archive ends inside this entry")),
        "{:?}",
        session.warnings
    );

    // Cut in the first entry's header: nothing to read, and said so.
    let (session, summary, _) = decode("artifact.zip", &bytes[..20]);
    assert!(summary.not_a_trace);
    assert!(!session.warnings.is_empty());
}

#[test]
fn tar_artifacts_from_gnu_tar_load_every_trace_file_long_names_included() {
    // `tar --format=gnu` and `--format=posix` of the same folder, made with GNU tar: a trace in
    // a folder whose path is over 100 bytes (a GNU `L` entry, or a pax `path` record), another
    // trace, and a log.
    let expected = load(&[edge("missing_parent.json"), edge("critical_path.json")])
        .2
        .span_count();
    for name in ["artifacts-gnu.tar.gz", "artifacts-pax.tar.gz"] {
        let bytes = std::fs::read(edge(name)).expect("fixture");
        let (session, summary, forest) = decode(name, &bytes);
        assert_eq!(summary.format, "gzip: tar (2 trace files)", "{name}");
        assert_eq!(forest.span_count(), expected, "{name}");
        let reasons: Vec<String> = session.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(reasons.len(), 1, "{name}: {reasons:?}");
        // The log sits beside a trace in the folder with the long name: its note names it whole.
        let long = "a-rather-long-folder-name-for-the-e2e-job-".repeat(3);
        assert!(
            reasons[0].contains("1 entry is not a trace and was skipped")
                && reasons[0].contains(&format!("{name}/artifacts/traces/{long}/pytest.log")),
            "{name}: {reasons:?}"
        );
        // Cut inside the tar (after decompression): the entries before the cut load.
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut tar)
            .expect("gunzip");
        let at = tar
            .windows(10)
            .position(|w| w == b"\"traceId\":")
            .expect("a span")
            + 40;
        let (session, _, forest) = decode(name, &tar[..at]);
        assert!(forest.span_count() < expected, "{name}");
        assert!(
            session
                .warnings
                .iter()
                .any(|w| w.reason.contains("the archive ends inside this entry")),
            "{name}: {:?}",
            session.warnings
        );
    }
}

#[test]
fn several_files_merge_and_the_same_span_twice_is_kept_once() {
    let mut session = Session::default();
    decode_file(&mut session, "a.json", &sample());
    decode_file(&mut session, "a-again.json.gz", &gzip(&sample()));
    let forest = Forest::build(&session);
    assert_eq!(forest.span_count(), sample_spans());
    assert_eq!(forest.duplicates, sample_spans());
}

#[test]
fn a_trace_split_across_files_is_joined() {
    let lines = sample_as_json_lines();
    let (first, second) = lines.split_at(lines.len() / 2);
    let mut session = Session::default();
    decode_file(&mut session, "part1.jsonl", first.join("\n").as_bytes());
    decode_file(&mut session, "part2.jsonl", second.join("\n").as_bytes());
    let forest = Forest::build(&session);
    assert_eq!(forest.span_count(), sample_spans());
    assert_eq!(forest.missing_parents, 0);
}

#[test]
fn utf16_as_windows_powershell_writes_it_is_read_in_either_byte_order() {
    let text = String::from_utf8(sample()).expect("UTF-8");
    let units: Vec<u16> = text.encode_utf16().collect();
    let little = utf16_le(&units);
    let big: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(units.iter().flat_map(|u| u.to_be_bytes()))
        .collect();
    for (name, bytes) in [("le.json", little), ("be.json", big)] {
        let (session, summary, forest) = decode(name, &bytes);
        assert_eq!(summary.format, "OTLP/JSON", "{name}");
        assert_eq!(forest.span_count(), sample_spans(), "{name}");
        assert_eq!(session.warnings.len(), 1, "{:?}", session.warnings);
        assert!(session.warnings[0].reason.starts_with("UTF-16 text"));
    }
    // A gzip of UTF-16 too; and without its byte-order mark it is not taken for UTF-16.
    let (_, summary, forest) = decode("le.json.gz", &gzip(&utf16_le(&units)));
    assert_eq!(forest.span_count(), sample_spans());
    assert_eq!(summary.format, "gzip: OTLP/JSON");
    let bare: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    let (_, summary, _) = decode("bare.json", &bare);
    assert!(summary.not_a_trace);
}

fn utf16_le(units: &[u16]) -> Vec<u8> {
    [0xFF, 0xFE]
        .into_iter()
        .chain(units.iter().flat_map(|u| u.to_le_bytes()))
        .collect()
}
