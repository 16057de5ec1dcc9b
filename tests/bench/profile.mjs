// Reads a V8 CPU profile (CDP Profiler.stop) of the page's main thread and describes its longest
// busy stretch: how long it ran without going idle, and the functions that took its time, by
// self time and by inclusive time. For finding what blocks the page (SIGHTLINE_PROFILE=1).

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);

/** A text report of the longest run of samples with no idle sample in it. */
export function busiestStretch(profile, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => {
    const f = n.callFrame;
    return f.functionName || (f.url ? `(anonymous ${f.url.split('/').pop()}:${f.lineNumber})` : '(anonymous)');
  };
  // Sample i lasts timeDeltas[i + 1] microseconds.
  const { samples, timeDeltas } = profile;
  let best = { from: 0, to: 0, us: 0 };
  let from = 0;
  let us = 0;
  for (let i = 0; i < samples.length; i++) {
    const idle = name(byId.get(samples[i])) === '(idle)';
    if (idle) {
      from = i + 1;
      us = 0;
      continue;
    }
    us += timeDeltas[i + 1] ?? 0;
    if (us > best.us) best = { from, to: i + 1, us };
  }
  const self = new Map();
  const inclusive = new Map();
  for (let i = best.from; i < best.to; i++) {
    const dt = (timeDeltas[i + 1] ?? 0) / 1000;
    const leaf = byId.get(samples[i]);
    self.set(name(leaf), (self.get(name(leaf)) ?? 0) + dt);
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const n = name(byId.get(id));
      if (seen.has(n) || n === '(root)') continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + dt);
    }
  }
  const list = (m) => [...m].filter(([n]) => !IDLE.has(n)).sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([n, ms]) => `    ${ms.toFixed(1).padStart(7)} ms  ${n}`).join('\n');
  return `  ${(best.us / 1000).toFixed(1)} ms busy\n  self time:\n${list(self)}\n  inclusive time:\n${list(inclusive)}`;
}
