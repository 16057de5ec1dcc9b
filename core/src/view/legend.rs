//! Service colours and the waterfall's legend.

use std::collections::HashSet;

use crate::model::Session;
use crate::trace::tree::TraceTree;

/// A stable hue (0..360) for a service name, so a service keeps its colour across traces and loads.
pub fn service_hue(name: &str) -> u16 {
    // FNV-1a, spread over a golden-angle palette so similar names get distant hues.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    u16::try_from((h % 64) * 137 % 360).unwrap_or(0)
}

/// One service in a trace's legend: its name and the hue of its spans' bars.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegendEntry {
    pub service: String,
    pub hue: u16,
}

/// The waterfall's legend: the first `limit` services of `tree` in the order they first appear
/// in it, each with the hue its bars are drawn in ([`service_hue`] of the name a row shows,
/// [`Session::service_of`]), and how many more there are. Reads the tree's list of services,
/// never its spans.
pub fn service_legend(
    session: &Session,
    tree: &TraceTree,
    limit: usize,
) -> (Vec<LegendEntry>, usize) {
    let mut legend: Vec<LegendEntry> = Vec::new();
    let mut names: HashSet<&str> = HashSet::new();
    for &sym in &tree.services {
        let service = session.service_name(sym);
        if names.insert(service) && legend.len() < limit {
            legend.push(LegendEntry {
                service: service.to_string(),
                hue: service_hue(service),
            });
        }
    }
    let more = names.len() - legend.len();
    (legend, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hues_are_stable_and_spread() {
        assert_eq!(service_hue("order-api"), service_hue("order-api"));
        assert_ne!(service_hue("order-api"), service_hue("order-worker"));
        assert!(service_hue("e2e-tests") < 360);
    }
}
