//! How the decoder's span list grows: by the estimate of the spans to come when that is well
//! under doubling (or, for a small session, beyond it), else by doubling (the decoder's peak
//! memory, README "Performance").

use sightline_core::{decode_file, decode_file_with_progress, synthetic, Session, Span};

fn template() -> Span {
    let mut session = Session::default();
    decode_file(
        &mut session,
        "one.json",
        synthetic::otlp_json(1, false).as_bytes(),
    );
    session.spans.pop().expect("the synthetic trace has a span")
}

/// The span list's room after `pushes` spans, the estimate of `expected` spans coming once the
/// list is full at 4,096 (as a decoder's estimate comes after its first few thousand spans).
fn list_after(expected: usize, pushes: usize) -> usize {
    let span = template();
    let mut session = Session::default();
    for i in 0..pushes {
        if i == 4_096 {
            session.expected_spans = expected;
        }
        session.push_span(span.clone());
    }
    session.spans.capacity()
}

#[test]
fn a_full_list_grows_to_the_estimate_when_it_is_well_under_doubling() {
    assert_eq!(list_after(5_000, 4_097), 5_000);
}

#[test]
fn a_full_list_doubles_when_the_estimate_is_near_doubling() {
    // 7,900 is over 85% of 8,192: a short estimate would cost a second copy.
    assert_eq!(list_after(7_900, 4_097), 8_192);
}

#[test]
fn a_list_past_its_estimate_grows_by_doubling() {
    // From 4,096 it grows to the estimate of 4,700; past that it doubles.
    assert_eq!(list_after(4_700, 4_700), 4_700);
    assert_eq!(list_after(4_700, 4_701), 9_400);
}

#[test]
fn an_estimate_just_over_the_list_still_grows_it_by_an_eighth() {
    assert_eq!(list_after(4_100, 4_097), 4_096 + 4_096 / 8 + 1);
}

#[test]
fn a_small_session_grows_straight_to_an_estimate_beyond_doubling() {
    assert_eq!(list_after(42_000, 4_097), 42_000);
    assert_eq!(list_after(100_000, 4_097), 100_000);
}

#[test]
fn a_big_session_doubles_toward_an_estimate_beyond_doubling() {
    assert_eq!(list_after(100_001, 4_097), 8_192);
    assert_eq!(list_after(1_000_000, 4_097), 8_192);
}

#[test]
fn decoding_a_file_leaves_the_span_list_near_its_size() {
    // 10,000 spans: doubling alone leaves room for 16,384. The list grows once, at 2,048 spans,
    // to the estimate made then with a tenth to spare.
    let text = synthetic::otlp_json(10_000, true);
    let mut session = Session::default();
    decode_file_with_progress(
        &mut session,
        "ten-thousand.json",
        text.as_bytes(),
        &mut |_, _| {},
    );
    assert_eq!(session.spans.len(), 10_000);
    let room = session.spans.capacity();
    assert!((10_000..=11_100).contains(&room), "room for {room} spans");
}
