//! Text with its volatile parts replaced, so that the same exception or the same span of two runs
//! reads the same: UUIDs, long hex ids, numbers (ports and addresses among them) and quoted
//! values.

/// `text` with UUIDs as `<uuid>`, hex runs of 8 or more digits holding a digit as `<hex>`,
/// numbers as `<n>` and quoted values as `'…'`/`"…"`.
///
/// ```
/// use sightline_core::insight::runs::normalise::normalise;
/// assert_eq!(
///     normalise("cannot reserve 250 x 'TEAPOT-XL' for order 9f1c2d3e4b5a on 127.0.0.1:51234"),
///     "cannot reserve <n> x '…' for order <hex> on <n>.<n>.<n>.<n>:<n>"
/// );
/// ```
pub fn normalise(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (b == b'\'' || b == b'"') && !word_byte(prev(bytes, i)) {
            if let Some(len) = bytes[i + 1..].iter().position(|&c| c == b) {
                if len <= 200 && !bytes[i + 1..i + 1 + len].contains(&b'\n') {
                    out.push(b as char);
                    out.push('…');
                    out.push(b as char);
                    i += len + 2;
                    continue;
                }
            }
        }
        if b.is_ascii_hexdigit() && !word_byte(prev(bytes, i)) || b.is_ascii_digit() {
            let end = i + bytes[i..]
                .iter()
                .position(|c| !(c.is_ascii_hexdigit() || *c == b'-'))
                .unwrap_or(bytes.len() - i);
            let run = &text[i..end];
            if is_uuid(run.trim_end_matches('-')) {
                out.push_str("<uuid>");
                i += run.trim_end_matches('-').len();
                continue;
            }
            let hex_end = i + bytes[i..]
                .iter()
                .position(|c| !c.is_ascii_hexdigit())
                .unwrap_or(bytes.len() - i);
            let hex = &bytes[i..hex_end];
            if hex.len() >= 8
                && hex.iter().any(u8::is_ascii_digit)
                && !word_byte(bytes.get(hex_end).copied())
            {
                out.push_str("<hex>");
                i = hex_end;
                continue;
            }
            if b.is_ascii_digit() {
                let digits_end = i + bytes[i..]
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .unwrap_or(bytes.len() - i);
                out.push_str("<n>");
                i = digits_end;
                continue;
            }
        }
        // Copy one whole character (text is UTF-8; only ASCII is ever replaced).
        let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// A 64-bit FNV-1a hash of `text`, its offset basis xored with `seed` (0: plain FNV-1a):
/// stable across builds and platforms, for ids in links and keys of normalised names.
pub fn text_hash(seed: u64, text: &str) -> u64 {
    let mut h = seed ^ 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn prev(bytes: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).map(|j| bytes[j])
}

/// A letter (a hex digit run inside a word, `TEAPOT`, `cafe`, is a word, not an id).
fn word_byte(b: Option<u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_alphabetic())
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn volatile_parts_read_the_same_and_words_stay() {
        let cases = [
            ("GET /item/42", "GET /item/<n>"),
            (
                "job 5f0c6b2e-8d4a-4c1e-9b7f-0a1b2c3d4e5f failed",
                "job <uuid> failed",
            ),
            (
                "connect to 10.0.0.7:6379 refused",
                "connect to <n>.<n>.<n>.<n>:<n> refused",
            ),
            ("order 9f1c2d3e4b5a", "order <hex>"),
            ("customer cus_1042", "customer cus_<n>"),
            ("KeyError: 'user_id'", "KeyError: '…'"),
            ("decade cafe", "decade cafe"),
            ("TEAPOT-XL", "TEAPOT-XL"),
            ("it's fine", "it's fine"),
            ("héllo 3 wörld", "héllo <n> wörld"),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(normalise(text), want, "{text}");
        }
        assert_eq!(
            normalise("timed out after 1.5s"),
            normalise("timed out after 10.25s")
        );
    }
}
