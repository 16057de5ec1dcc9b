//! A file decoded as it arrives, in chunks of any size cut anywhere, gives the very session,
//! warnings and summary that decoding it whole gives: for every fixture and corpus file, cut at
//! every boundary class (inside a string, an escape, a number, a UTF-8 sequence, between two
//! documents) and at random sizes from one byte up.

mod common;

use std::path::{Path, PathBuf};

use sightline_core::fuzzing::{decode_in_chunks, stream_agrees, stream_cuts};
use sightline_core::{decode_file, FileSummary, Session, StreamDecoder};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("fixture folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else if !path.extension().is_some_and(|e| e == "md" || e == "py") {
            out.push(path);
        }
    }
}

fn every_fixture() -> Vec<(String, Vec<u8>)> {
    let mut paths = Vec::new();
    files_under(&common::repo_root().join("tests/fixtures"), &mut paths);
    let files: Vec<_> = paths
        .iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "generate"))
        .map(|p| (p.display().to_string(), std::fs::read(p).expect("read")))
        .collect();
    assert!(files.len() > 40, "found only {}", files.len());
    files
}

/// A small deterministic generator (xorshift), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Offsets of each boundary class in `bytes`: inside a string, just after a backslash, inside a
/// number, inside a multi-byte UTF-8 sequence, between two documents (at a newline, and on
/// either side of it), and at the byte-order mark.
fn boundaries(bytes: &[u8]) -> Vec<(&'static str, Vec<usize>)> {
    let mut string = Vec::new();
    let mut escape = Vec::new();
    let mut number = Vec::new();
    let mut utf8 = Vec::new();
    let mut between = Vec::new();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (0x80..0xC0).contains(&b) {
            utf8.push(i);
        }
        if in_string {
            match b {
                b'\\' => {
                    escape.push(i + 1);
                    i += 2;
                    continue;
                }
                b'"' => in_string = false,
                _ => string.push(i),
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'0'..=b'9' if i > 0 && bytes[i - 1].is_ascii_digit() => number.push(i),
                b'\n' => between.extend([i, i + 1]),
                b'}' => between.push(i + 1),
                _ => {}
            }
        }
        i += 1;
    }
    vec![
        ("inside a string", string),
        ("after a backslash", escape),
        ("inside a number", number),
        ("inside a UTF-8 sequence", utf8),
        ("between documents", between),
        ("in the byte-order mark", vec![1, 2, 3]),
    ]
}

/// Up to `n` offsets of `all`, spread over it.
fn spread(all: &[usize], n: usize) -> Vec<usize> {
    if all.len() <= n {
        return all.to_vec();
    }
    (0..n).map(|k| all[k * all.len() / n]).collect()
}

#[test]
fn every_fixture_decodes_the_same_in_chunks_cut_at_every_boundary_class() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut classes_met = std::collections::BTreeSet::new();
    for (name, bytes) in every_fixture() {
        for (class, offsets) in boundaries(&bytes) {
            if offsets.is_empty() {
                continue;
            }
            classes_met.insert(class);
            // Each cut alone, for a few of each class, and all of them at once (at most 256).
            for &cut in &spread(&offsets, 6) {
                let run = std::panic::catch_unwind(|| stream_agrees(&bytes, &[cut]));
                assert!(run.is_ok(), "{name}: cut {class} at byte {cut}");
            }
            let many = spread(&offsets, 256);
            let run = std::panic::catch_unwind(|| stream_agrees(&bytes, &many));
            assert!(run.is_ok(), "{name}: cut {class} at {} places", many.len());
        }
        // Random chunk sizes from one byte up, growing.
        for max in [1usize, 7, 64, 1024, 65_536] {
            let mut cuts = Vec::new();
            let mut at = 0;
            while at < bytes.len() && cuts.len() < 20_000 {
                at += 1 + rng.below(max);
                cuts.push(at);
            }
            let run = std::panic::catch_unwind(|| stream_agrees(&bytes, &cuts));
            assert!(run.is_ok(), "{name}: random chunks of up to {max} bytes");
        }
    }
    assert_eq!(classes_met.len(), 6, "{classes_met:?}");
}

#[test]
fn one_byte_at_a_time_on_documents_of_every_kind() {
    // JSON Lines, concatenated pretty-printed documents, an array of documents, a Jaeger object,
    // a damaged line between good ones, invalid UTF-8 and a byte-order mark.
    let line = |i: u32| {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc-{i} é"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"{i:016x}","name":"op \"{i}\" ✓","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000000001000"}}]}}]}}]}}"#
        )
    };
    let jsonl: String = (1..=4).map(|i| line(i) + "\n").collect();
    let pretty: String = (1..=3)
        .map(|i| {
            let v: serde_json::Value = serde_json::from_str(&line(i)).unwrap();
            serde_json::to_string_pretty(&v).unwrap() + "\n"
        })
        .collect();
    let array = format!("[{}, {}]\n", line(1), line(2));
    let damaged = format!("{}\n{{\"resourceSpans\": [tru\n{}\n", line(1), line(3));
    let mut bad_utf8 = format!("{}\n", line(1)).into_bytes();
    bad_utf8.extend_from_slice(b"{\"resourceSpans\":[], \"x\": \"\xC3\x28 \xE2\x82\"}\n");
    bad_utf8.extend_from_slice(line(2).as_bytes());
    bad_utf8.extend_from_slice(b"\xF0\x9F");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(jsonl.as_bytes());
    let jaeger = r#"{"data":[{"traceID":"4bf92f3577b34da6","spans":[{"traceID":"4bf92f3577b34da6","spanID":"00f067aa0ba902b7","operationName":"GET","startTime":1700000000000000,"duration":5,"processID":"p1"}],"processes":{"p1":{"serviceName":"api"}}}]}"#;
    for (name, bytes) in [
        ("jsonl", jsonl.into_bytes()),
        ("pretty", pretty.into_bytes()),
        ("array", array.into_bytes()),
        ("damaged", damaged.into_bytes()),
        ("bad utf-8", bad_utf8),
        ("bom", bom),
        (
            "jaeger",
            format!("{jaeger}\n{jaeger}\n{jaeger}\n").into_bytes(),
        ),
    ] {
        let cuts: Vec<usize> = (1..bytes.len()).collect();
        let run = std::panic::catch_unwind(|| stream_agrees(&bytes, &cuts));
        assert!(run.is_ok(), "{name}: one byte at a time");
    }
}

/// A JSON Lines line: an OTLP document of one span, `i` its id.
fn one_span_line(i: u32) -> String {
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"{i:016x}","name":"span {i}","startTimeUnixNano":"1","endTimeUnixNano":"2"}}]}}]}}]}}"#
    ) + "\n"
}

#[test]
fn json_lines_are_held_one_document_at_a_time_and_spans_come_as_lines_arrive() {
    let mut session = Session::default();
    let mut decoder = StreamDecoder::new("big.jsonl", None);
    let mut total = 0;
    for i in 1..=3000u32 {
        let line = one_span_line(i);
        total += line.len();
        decoder.push(&mut session, line.as_bytes(), &mut |_, _| {});
        // Past the first bytes (looked at to know the format), each line is read as it
        // arrives: its list of resourceSpans is whole.
        if i > 600 {
            assert_eq!(session.spans.len(), i as usize, "after line {i}");
        }
    }
    let summary = decoder.finish(&mut session, &mut |_, _| {});
    assert_eq!(summary.spans, 3000);
    assert_eq!(summary.format, "OTLP/JSON");
    assert!(summary.fingerprint.is_empty(), "no size was given");
    assert!(total > 500_000);
}

#[test]
fn the_fingerprint_is_the_whole_files_when_the_size_is_known() {
    let bytes = std::fs::read(common::fixture("order-e2e.json")).unwrap();
    let mut whole = Session::default();
    let expected = decode_file(&mut whole, "a.json", &bytes);
    let mut streamed = Session::default();
    let cuts: Vec<usize> = (0..bytes.len()).step_by(4099).collect();
    let got = decode_in_chunks(&mut streamed, "a.json", &bytes, &cuts);
    assert_eq!(got.fingerprint, expected.fingerprint);
    assert!(!got.fingerprint.is_empty());
    // A size that turns out wrong leaves it empty rather than wrong.
    let mut decoder = StreamDecoder::new("a.json", Some(bytes.len() as u64 + 1));
    let mut s = Session::default();
    decoder.push(&mut s, &bytes, &mut |_, _| {});
    assert_eq!(decoder.finish(&mut s, &mut |_, _| {}).fingerprint, "");
}

#[test]
fn a_packed_file_over_the_limit_keeps_its_beginning_and_says_so() {
    let sample = std::fs::read(common::fixture("order-e2e.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&sample).unwrap();
    let jsonl: String = (0..20).map(|_| doc.to_string() + "\n").collect();
    // The Collector's zstd frames, each a line with its length before it, are read whole, so
    // the limit applies.
    let mut bytes = Vec::new();
    for line in jsonl.lines() {
        let frame = ruzstd::encoding::compress_to_vec(
            line.as_bytes(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        bytes.extend_from_slice(&u32::try_from(frame.len()).expect("short").to_be_bytes());
        bytes.extend_from_slice(&frame);
    }
    let limit = bytes.len() as u64 / 2;
    let mut session = Session::default();
    let mut decoder =
        StreamDecoder::new("runs.jsonl.zst", Some(bytes.len() as u64)).with_whole_limit(limit);
    for chunk in bytes.chunks(1000) {
        decoder.push(&mut session, chunk, &mut |_, _| {});
    }
    let summary = decoder.finish(&mut session, &mut |_, _| {});
    let last = session.warnings.last().unwrap();
    assert_eq!(last.location, format!("byte {limit}"));
    assert!(
        last.reason.contains("zstd frames with length prefixes"),
        "{}",
        last.reason
    );
    let mut whole = Session::default();
    let all = decode_file(&mut whole, "runs.jsonl.zst", &bytes);
    // The copies repeat the same spans: the entries read count as spans or duplicates.
    let (read, in_all) = (
        summary.spans + session.duplicates,
        all.spans + whole.duplicates,
    );
    assert!(read > 0 && read < in_all, "{read} of {in_all}");
}

#[test]
fn one_large_document_is_read_a_resource_at_a_time_as_it_arrives() {
    let text = sightline_core::synthetic::otlp_json(20_000, true);
    let bytes = text.as_bytes();
    let mut session = Session::default();
    let mut decoder = StreamDecoder::new("one.json", Some(bytes.len() as u64));
    let mut seen = Vec::new();
    for chunk in bytes.chunks(64 * 1024) {
        decoder.push(&mut session, chunk, &mut |_, _| {});
        seen.push(session.spans.len());
    }
    let summary = decoder.finish(&mut session, &mut |_, _| {});
    assert_eq!(summary.spans, 20_000);
    // Spans came in while the document was still arriving, in many steps.
    let half = seen[seen.len() / 2];
    assert!(
        half > 5_000 && half < 15_000,
        "{half} spans at half the bytes"
    );
    let steps = seen.windows(2).filter(|w| w[1] > w[0]).count();
    assert!(steps > 10, "spans came in {steps} steps");
    let mut whole = Session::default();
    let expected = decode_file(&mut whole, "one.json", bytes);
    assert_eq!(summary, expected);
}

/// `text` gzipped in `members` members (as `cat a.gz b.gz` makes them).
fn gzip(text: &[u8], members: usize) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    for part in text.chunks(text.len().div_ceil(members.max(1)).max(1)) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(part).expect("gzip in memory");
        out.extend(gz.finish().expect("gzip in memory"));
    }
    out
}

/// `bytes` decoded in chunks of random sizes up to each of `maxes` agrees with a whole decode.
fn agrees_in_random_chunks(name: &str, bytes: &[u8], maxes: &[usize], rng: &mut Rng) {
    for &max in maxes {
        let mut cuts = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            at += 1 + rng.below(max);
            cuts.push(at);
        }
        let run = std::panic::catch_unwind(|| stream_agrees(bytes, &cuts));
        assert!(run.is_ok(), "{name}: chunks of up to {max} bytes");
    }
}

#[test]
fn gzip_decompressed_as_it_arrives_reads_as_whole_damaged_or_not() {
    let sample = std::fs::read(common::fixture("order-e2e.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&sample).unwrap();
    let jsonl: String = (0..30).map(|_| doc.to_string() + "\n").collect();
    let one = gzip(jsonl.as_bytes(), 1);
    let three = gzip(jsonl.as_bytes(), 3);
    let mut damaged = one.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    damaged[middle + 1] ^= 0xAA;
    let cut = one[..one.len() * 2 / 3].to_vec();
    let mut bad_trailer = one.clone();
    let n = bad_trailer.len();
    bad_trailer[n - 6] ^= 1;
    let not_json = gzip(
        b"FAILED tests/test_api.py::test_order - assert 500 == 200\n",
        1,
    );
    let tar_gz = std::fs::read(
        std::fs::read_dir(common::repo_root().join("tests/fixtures/edge"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
            .unwrap(),
    )
    .unwrap();
    let mut rng = Rng(7);
    for (name, bytes) in [
        ("one member", one),
        ("three members", three),
        ("damaged", damaged),
        ("cut off", cut),
        ("bad checksum", bad_trailer),
        ("a log, gzipped", not_json),
        ("tar.gz", tar_gz),
    ] {
        agrees_in_random_chunks(name, &bytes, &[1, 100, 5_000, 40_000, 200_000], &mut rng);
    }
}

#[test]
fn gzipped_json_lines_are_read_as_they_arrive() {
    let text: String = (1..=20_000).map(one_span_line).collect();
    let bytes = gzip(text.as_bytes(), 1);
    let mut session = Session::default();
    let mut decoder = StreamDecoder::new("big.jsonl.gz", Some(bytes.len() as u64));
    let half = bytes.len() / 2;
    decoder.push(&mut session, &bytes[..half], &mut |_, _| {});
    assert!(
        session.spans.len() > 5_000,
        "{} spans from half",
        session.spans.len()
    );
    decoder.push(&mut session, &bytes[half..], &mut |_, _| {});
    let summary = decoder.finish(&mut session, &mut |_, _| {});
    assert_eq!(summary.spans, 20_000);
    assert_eq!(summary.format, "gzip: OTLP/JSON");
}

/// A tar entry (ustar header, `kind` its type flag) with `data`, padded to whole blocks.
fn tar_entry(out: &mut Vec<u8>, name: &str, data: &[u8], kind: u8) {
    let mut header = [0u8; 512];
    let n = name.len().min(100);
    header[..n].copy_from_slice(&name.as_bytes()[..n]);
    header[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    header[156] = kind;
    header[257..265].copy_from_slice(b"ustar\x0000");
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// A tar of the sample `copies` times (each in a run folder), a log that is no trace, a GNU
/// long name and a pax path, and a gzipped entry (copies + 2 trace files); then the
/// end-of-archive blocks.
fn tar_of_runs(copies: usize) -> Vec<u8> {
    let sample = std::fs::read(common::fixture("order-e2e.json")).expect("sample");
    let mut out = Vec::new();
    for i in 0..copies {
        tar_entry(&mut out, &format!("run-{i}/traces.json"), &sample, b'0');
        if i == 1 {
            tar_entry(
                &mut out,
                "run-1/pytest.log",
                b"FAILED test_x - assert 500 == 200\n",
                b'0',
            );
            let long = format!("run-1/{}/traces.json", "deep".repeat(40));
            tar_entry(&mut out, "././@LongLink", long.as_bytes(), b'L');
            tar_entry(&mut out, "ignored", &sample, b'0');
            tar_entry(&mut out, "pax", b"30 path=run-1/pax/traces.json\n", b'x');
            tar_entry(&mut out, "ignored too", &gzip(&sample, 1), b'0');
        }
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

#[test]
fn tar_archives_are_read_an_entry_at_a_time_as_whole_damaged_or_not() {
    let tar = tar_of_runs(6);
    // Damage: cut inside an entry, a size that is not a number, a size far past the end
    // (GNU's base-256 form), and no end-of-archive blocks.
    let cut = tar[..tar.len() * 2 / 3].to_vec();
    let mut bad_size = tar.clone();
    bad_size[512 * 12 + 124..512 * 12 + 130].copy_from_slice(b"zz9zz9");
    let mut huge = tar.clone();
    let sample = std::fs::read(common::fixture("order-e2e.json")).expect("sample");
    let second = 512 + sample.len().div_ceil(512) * 512;
    huge[second + 124] = 0x80;
    huge[second + 125..second + 136].fill(0xff);
    let unended = tar[..tar.len() - 1024].to_vec();
    let mut rng = Rng(11);
    for (name, bytes) in [
        ("tar", tar.clone()),
        ("tar.gz", gzip(&tar, 1)),
        ("cut off", cut.clone()),
        ("cut off, gzipped", gzip(&cut, 1)),
        ("a size that is no number", bad_size),
        ("a size past the end", huge),
        ("no end blocks", unended),
    ] {
        agrees_in_random_chunks(name, &bytes, &[1, 700, 5_000, 40_000], &mut rng);
    }
    // The entries are read as they come: half the archive gives about half the runs' spans,
    // plain or gzipped, and the whole gives what a whole read gives.
    let tar = tar_of_runs(40);
    for (name, bytes) in [("runs.tar", tar.clone()), ("runs.tar.gz", gzip(&tar, 1))] {
        half_then_whole(name, &bytes, "tar (42 trace files)");
    }
}

/// Half of an archive of runs, pushed, gives between a third and two thirds of the spans of the
/// whole (its entries are read as they come); the rest gives what a whole read gives, its
/// format naming `format`.
fn half_then_whole(name: &str, bytes: &[u8], format: &str) {
    let mut session = Session::default();
    let mut decoder = StreamDecoder::new(name, Some(bytes.len() as u64));
    let half = bytes.len() / 2;
    for chunk in bytes[..half].chunks(64 * 1024) {
        decoder.push(&mut session, chunk, &mut |_, _| {});
    }
    let mut whole = Session::default();
    let expected = decode_file(&mut whole, name, bytes);
    let (so_far, all) = (
        session.spans.len() + session.duplicates,
        expected.spans + whole.duplicates,
    );
    assert!(
        so_far * 3 > all && so_far * 3 < all * 2,
        "{name}: {so_far} of {all} spans from half"
    );
    decoder.push(&mut session, &bytes[half..], &mut |_, _| {});
    let summary = decoder.finish(&mut session, &mut |_, _| {});
    assert_eq!(summary, expected, "{name}");
    assert_eq!(
        serde_json::to_string(&session).ok(),
        serde_json::to_string(&whole).ok(),
        "{name}"
    );
    assert!(summary.format.contains(format), "{}", summary.format);
}

#[test]
fn inputs_the_fuzzer_broke_decode_in_its_chunks_as_whole() {
    // Each crash of the `stream` target, in the chunks the target cut it into.
    let mut paths = Vec::new();
    files_under(
        &common::repo_root().join("tests/fixtures/fuzz/stream"),
        &mut paths,
    );
    assert!(!paths.is_empty());
    for path in paths {
        let bytes = std::fs::read(&path).expect("fixture");
        let run = std::panic::catch_unwind(|| stream_agrees(&bytes, &stream_cuts(&bytes)));
        assert!(run.is_ok(), "{}", path.display());
    }
}

/// Writes the sample `copies` times (each in a run folder) into `zip`, with a folder, a log
/// that is no trace and a zip inside the zip (copies + 1 trace files), each entry `method`.
fn fill_zip<W: std::io::Write + std::io::Seek>(
    zip: &mut zip::ZipWriter<W>,
    copies: usize,
    method: zip::CompressionMethod,
) {
    use std::io::Write;
    let sample = std::fs::read(common::fixture("order-e2e.json")).expect("sample");
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for i in 0..copies {
        zip.start_file(format!("run-{i}/traces.json"), options)
            .expect("zip written");
        zip.write_all(&sample).expect("zip written");
        if i == 1 {
            zip.add_directory("run-1/logs/", options)
                .expect("zip written");
            zip.start_file("run-1/logs/pytest.log", options)
                .expect("zip written");
            zip.write_all(b"FAILED test_x - assert 500 == 200\n")
                .expect("zip written");
            let mut inner = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            inner
                .start_file("inner/traces.json", options)
                .expect("zip written");
            inner.write_all(&sample).expect("zip written");
            let inner = inner.finish().expect("zip written").into_inner();
            zip.start_file("run-1/nested.zip", options)
                .expect("zip written");
            zip.write_all(&inner).expect("zip written");
        }
    }
}

/// A zip archive as [`fill_zip`] makes it, from a writer that can seek back (sizes in each
/// entry's header) or, `streamed`, one that cannot (sizes in a data descriptor after the data,
/// as the writer behind GitHub's artifacts does).
fn zip_of_runs(copies: usize, method: zip::CompressionMethod, streamed: bool) -> Vec<u8> {
    if streamed {
        let mut zip = zip::ZipWriter::new_stream(Vec::new());
        fill_zip(&mut zip, copies, method);
        zip.finish().expect("zip written").into_inner()
    } else {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        fill_zip(&mut zip, copies, method);
        zip.finish().expect("zip written").into_inner()
    }
}

/// Decodes `bytes` as they arrive in chunks of `chunk` bytes, keeping at most `limit` of a
/// file read whole; the session and the summary.
fn stream_with_limit(name: &str, bytes: &[u8], chunk: usize, limit: u64) -> (Session, FileSummary) {
    let mut session = Session::default();
    let mut decoder = StreamDecoder::new(name, Some(bytes.len() as u64)).with_whole_limit(limit);
    for piece in bytes.chunks(chunk) {
        decoder.push(&mut session, piece, &mut |_, _| {});
    }
    let summary = decoder.finish(&mut session, &mut |_, _| {});
    (session, summary)
}

#[test]
fn zip_archives_are_read_an_entry_at_a_time_as_whole_damaged_or_not() {
    use zip::CompressionMethod::{Deflated, Stored};
    let deflated = zip_of_runs(5, Deflated, false);
    let descriptors = zip_of_runs(5, Deflated, true);
    // The first entry's data, and the central directory, in the deflated archive.
    let data = 30 + "run-0/traces.json".len();
    let directory =
        memchr::memmem::rfind(&deflated, b"PK\x01\x02").expect("a central directory header");
    let first_in_directory =
        memchr::memmem::find(&deflated, b"PK\x01\x02").expect("a central directory header");
    let mut damaged = deflated.clone();
    damaged[data + 40] ^= 0x55;
    let mut renamed = deflated.clone();
    // A name in the directory that its entry's own header does not give.
    renamed[first_in_directory + 46] = b'R';
    let mut no_directory = deflated.clone();
    no_directory[directory] = b'X';
    let mut rng = Rng(12);
    for (name, bytes) in [
        ("deflated", deflated.clone()),
        ("stored", zip_of_runs(5, Stored, false)),
        ("data descriptors", descriptors.clone()),
        ("stored with data descriptors", zip_of_runs(5, Stored, true)),
        ("cut off", deflated[..deflated.len() * 2 / 3].to_vec()),
        (
            "cut off, data descriptors",
            descriptors[..descriptors.len() / 2].to_vec(),
        ),
        ("an entry damaged", damaged.clone()),
        ("a name the directory changes", renamed),
        ("a damaged directory", no_directory),
        ("zipped in gzip", gzip(&deflated, 1)),
    ] {
        agrees_in_random_chunks(name, &bytes, &[1, 700, 5_000, 40_000], &mut rng);
    }

    // The entries are read as they come: half the archive gives about half the runs' spans,
    // and the whole gives what a whole read gives.
    for (name, bytes) in [
        ("runs.zip", zip_of_runs(40, Deflated, false)),
        ("artifact.zip", zip_of_runs(40, Deflated, true)),
    ] {
        half_then_whole(name, &bytes, "zip (41 trace files)");
    }
}

#[test]
fn a_zip_too_large_to_keep_is_checked_against_its_directory_all_the_same() {
    use zip::CompressionMethod::Deflated;
    for streamed in [false, true] {
        let bytes = zip_of_runs(8, Deflated, streamed);
        let limit = bytes.len() as u64 / 4;
        let mut whole = Session::default();
        let expected = decode_file(&mut whole, "runs.zip", &bytes);
        for chunk in [1_000, 64 * 1024] {
            let (session, summary) = stream_with_limit("runs.zip", &bytes, chunk, limit);
            assert_eq!(summary, expected);
            assert_eq!(
                serde_json::to_string(&session).unwrap(),
                serde_json::to_string(&whole).unwrap(),
            );
        }
    }
    // Damaged past the limit: what was read before the damage stays, and a warning says the
    // archive could not be read again.
    let mut bytes = zip_of_runs(8, Deflated, false);
    let third = memchr::memmem::find_iter(&bytes, b"PK\x03\x04")
        .nth(6)
        .unwrap();
    bytes[third + 80] ^= 0x55;
    let (session, summary) = stream_with_limit("runs.zip", &bytes, 4096, bytes.len() as u64 / 4);
    let mut whole = Session::default();
    let all = decode_file(&mut whole, "runs.zip", &bytes);
    assert!(summary.spans > 0 && summary.spans < all.spans + whole.duplicates);
    let warning = session
        .warnings
        .iter()
        .find(|w| w.reason.contains("too large to read again"))
        .expect("a warning that the archive could not be read again");
    assert_eq!(warning.source, "runs.zip");
    assert!(
        warning.location.starts_with("byte "),
        "{}",
        warning.location
    );
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

#[test]
fn zstd_decompressed_as_it_arrives_reads_as_whole_damaged_or_not() {
    let sample = std::fs::read(common::fixture("order-e2e.json")).expect("sample");
    let doc: serde_json::Value = serde_json::from_slice(&sample).expect("json");
    let jsonl: String = (0..30).map(|_| doc.to_string() + "\n").collect();
    let one = zstd(jsonl.as_bytes());
    let mut three = Vec::new();
    for part in jsonl.as_bytes().chunks(jsonl.len() / 3 + 1) {
        three.extend_from_slice(&zstd(part));
    }
    let mut damaged = one.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    damaged[middle + 1] ^= 0xAA;
    let mut trailing = one.clone();
    trailing.extend_from_slice(b"not a frame at all");
    let mut rng = Rng(13);
    for (name, bytes) in [
        ("one frame", one.clone()),
        ("three frames", three),
        ("damaged", damaged.clone()),
        ("cut off", one[..one.len() * 2 / 3].to_vec()),
        ("cut in its last bytes", one[..one.len() - 2].to_vec()),
        ("bytes after the frame", trailing),
        ("a tar", zstd(&tar_of_runs(4))),
        ("a log", zstd(b"FAILED test_x - assert 500 == 200\n")),
    ] {
        agrees_in_random_chunks(name, &bytes, &[1, 700, 5_000, 40_000], &mut rng);
    }
    // Read as it comes: half the file gives part of the spans, the whole the whole read's.
    let lines: String = (0..200).map(|_| doc.to_string() + "\n").collect();
    half_then_whole("runs.jsonl.zst", &zstd(lines.as_bytes()), "zstd: OTLP/JSON");
    // Too large to keep for a second read, and cut off: what came is read, and a warning says
    // where it stopped.
    let cut = &one[..one.len() * 2 / 3];
    let (session, summary) = stream_with_limit("runs.jsonl.zst", cut, 1_000, cut.len() as u64 / 4);
    assert!(summary.spans > 0, "{summary:?}");
    let warning = session
        .warnings
        .iter()
        .find(|w| w.reason.contains("too large to read again"))
        .expect("a warning that the file could not be read again");
    assert!(
        warning.location.starts_with("byte "),
        "{}",
        warning.location
    );
    // Clean and too large to keep: the same as a whole read.
    let mut whole = Session::default();
    let expected = decode_file(&mut whole, "runs.jsonl.zst", &one);
    let (session, summary) = stream_with_limit("runs.jsonl.zst", &one, 1_000, one.len() as u64 / 4);
    assert_eq!(summary, expected);
    assert_eq!(
        serde_json::to_string(&session).ok(),
        serde_json::to_string(&whole).ok()
    );
}
