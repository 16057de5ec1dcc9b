//! The messages between the page and the decoder worker: one enum each way, shared by both
//! sides. A message travels as `{head, data}`: `head` is the enum as JSON text (small, and
//! readable by the benchmark's scripts), `data` the list of byte buffers that go with it (the
//! files' bytes to the worker, the pieces of the [`crate::wire`] form back), transferred rather
//! than copied.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::session::preview::Glimpse;

/// What the page tells the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToWorker {
    /// Files of these sizes (bytes) are being read: make their memory ready
    /// ([`crate::wire::buffers`]).
    Expect { sizes: Vec<u64> },
    /// Decode these files: their bytes are the message's buffers, one per name, in order.
    Decode { names: Vec<String> },
    /// A file whose bytes follow as they arrive (`Chunk`s, then `Close`): decoded as they come
    /// ([`crate::StreamDecoder`]). `size` when known (the fingerprint needs it).
    Open { name: String, size: Option<u64> },
    /// The next bytes of the open file (the message's one buffer).
    Chunk,
    /// The open file ended; `error` says why it stopped early (what came is kept).
    Close { error: Option<String> },
    /// No more files: answer as for `Decode`.
    Finish,
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromWorker {
    /// Its wasm is instantiated: it can take files.
    Ready,
    /// Its warm-up ran to the end with no file arriving.
    Warm,
    /// Bytes decoded of the total, and spans so far.
    Progress { done: u64, total: u64, spans: u64 },
    /// Strings and spans decoded so far: pieces of the wire form in the message's buffers.
    Parts,
    /// While files arrive: a preview of the traces decoded so far, a whole snapshot of its own
    /// ([`crate::Loaded::to_parts`] in the buffers; [`crate::session::preview`]).
    Preview { glimpse: Glimpse },
    /// The rest of the session, once decoded (pieces in the buffers).
    Session,
    /// The trees' pieces (in the buffers): the answer is complete.
    Done { costs: Costs },
    /// The files could not be taken (the message was not what the worker expects).
    Failed { message: String },
}

/// What a decode cost the worker, for the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    /// Decoding, building the trees and encoding the answer.
    pub decode_ms: f64,
    /// Encoding the answer alone.
    pub encode_ms: f64,
    /// Reading the files into the worker's memory.
    pub copy_ms: f64,
    /// The worker's wasm memory at the end.
    pub memory_bytes: f64,
}

/// A message's head as text.
pub fn to_text<T: Serialize>(message: &T) -> String {
    // Plain enums of strings and numbers always serialise; an empty head reads as an error.
    serde_json::to_string(message).unwrap_or_default()
}

/// A message's head read back; `Err` says what was wrong with it.
pub fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("an unreadable message ({e}): {text:.80}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_reads_back_as_written() {
        let to = [
            ToWorker::Expect {
                sizes: vec![0, 1 << 40],
            },
            ToWorker::Decode {
                names: vec!["a.json".into(), "run 2/trace.jsonl.gz".into()],
            },
            ToWorker::Open {
                name: "https://ci.example/t.jsonl".into(),
                size: None,
            },
            ToWorker::Chunk,
            ToWorker::Close {
                error: Some("network".into()),
            },
            ToWorker::Finish,
        ];
        for m in to {
            assert_eq!(from_text::<ToWorker>(&to_text(&m)), Ok(m));
        }
        let from = [
            FromWorker::Ready,
            FromWorker::Warm,
            FromWorker::Progress {
                done: 5,
                total: 10,
                spans: 3,
            },
            FromWorker::Parts,
            FromWorker::Preview {
                glimpse: Glimpse {
                    traces: 7,
                    shown: 3,
                    spans: 90_000,
                    shown_spans: 1_200,
                },
            },
            FromWorker::Session,
            FromWorker::Done {
                costs: Costs {
                    decode_ms: 1.5,
                    encode_ms: 0.25,
                    copy_ms: 2.0,
                    memory_bytes: 65536.0,
                },
            },
            FromWorker::Failed {
                message: "no files".into(),
            },
        ];
        for m in from {
            assert_eq!(from_text::<FromWorker>(&to_text(&m)), Ok(m));
        }
    }

    #[test]
    fn the_head_names_its_kind_for_scripts() {
        assert_eq!(to_text(&FromWorker::Warm), r#"{"kind":"warm"}"#);
        assert_eq!(
            to_text(&ToWorker::Decode {
                names: vec!["t.json".into()]
            }),
            r#"{"kind":"decode","names":["t.json"]}"#
        );
    }

    #[test]
    fn a_message_of_another_kind_or_shape_is_an_error_not_a_panic() {
        for text in [
            "",
            "{}",
            r#"{"kind":"launch"}"#,
            r#"{"kind":"expect","sizes":"many"}"#,
            r#"{"kind":"progress","done":-1,"total":0,"spans":0}"#,
            "\u{0}",
        ] {
            assert!(from_text::<ToWorker>(text).is_err(), "{text}");
            assert!(from_text::<FromWorker>(text).is_err(), "{text}");
        }
    }
}
