//! A decoded session with its trees: what the decoder (in a Web Worker) hands the page, in a
//! compact binary form, so the page never parses JSON itself.

use serde::{Deserialize, Serialize};

use crate::decode::{decode_file, FileSummary};
use crate::model::Session;
use crate::tree::{Forest, TraceTree};

/// Everything the UI shows of a load.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub session: Session,
    pub forest: Forest,
    pub files: Vec<FileSummary>,
}

impl Snapshot {
    /// Decodes `(file name, bytes)` pairs into one session and builds its trees.
    pub fn decode(files: &[(String, Vec<u8>)]) -> Snapshot {
        Snapshot::decode_with_progress(
            files.iter().map(|(n, b)| (n.as_str(), b.as_slice())),
            |_, _| {},
        )
    }

    /// As [`Snapshot::decode`], calling `progress(bytes done, spans so far)` after each file.
    pub fn decode_with_progress<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        mut progress: impl FnMut(u64, usize),
    ) -> Snapshot {
        let mut session = Session::default();
        let mut summaries = Vec::new();
        let mut done = 0u64;
        for (name, bytes) in files {
            summaries.push(decode_file(&mut session, name, bytes));
            done += bytes.len() as u64;
            progress(done, session.spans.len());
        }
        let forest = Forest::build(&session);
        Snapshot {
            session,
            forest,
            files: summaries,
        }
    }

    /// The tree of trace `i`, if it exists.
    pub fn tree(&self, i: usize) -> Option<&TraceTree> {
        self.forest.traces.get(i)
    }

    /// The compact binary form (postcard).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain data into a Vec cannot fail; an empty result would read as an error.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Reads the binary form back, rebuilding the indexes that do not travel.
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, String> {
        let mut snapshot: Snapshot = postcard::from_bytes(bytes)
            .map_err(|e| format!("the decoder's answer is unreadable: {e}"))?;
        snapshot.session.rebuild_index();
        Ok(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_bytes() {
        let json = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
            "scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"GET /",
            "startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"n","value":{"arrayValue":{"values":[{"intValue":"7"}]}}}]}]}]}]}"#;
        let original = Snapshot::decode(&[("a.json".into(), json.to_vec())]);
        let copy = Snapshot::from_bytes(&original.to_bytes()).expect("round trip");
        assert_eq!(copy.session.spans, original.session.spans);
        assert_eq!(copy.forest, original.forest);
        assert_eq!(copy.files, original.files);
        assert_eq!(
            copy.session.strings.lookup("GET /"),
            original.session.strings.lookup("GET /")
        );
        assert_eq!(copy.session.span_index, original.session.span_index);
        assert!(Snapshot::from_bytes(b"\xff\xff").is_err());
    }
}
