// Reads a V8 CPU profile (CDP Profiler.stop) of the page's main thread and says what ran during
// one stretch of it, by self time and by inclusive time: for finding what makes a long task
// long (SIGHTLINE_PROFILE=1 in load.mjs).

/** A function the page runs for a few milliseconds at a known `performance.now()`, so the
 * profile's clock can be matched to the page's. */
export const CLOCK_SYNC = `(function sightlineClockSync() {
  const t = performance.now();
  while (performance.now() - t < 3) {}
  return t;
})()`;

/**
 * What ran from `start` to `end` (page milliseconds), given the page time `synced` at which
 * CLOCK_SYNC started: a text report of the top functions.
 */
export function describe(profile, synced, start, end, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => {
    const f = n.callFrame;
    return f.functionName || (f.url ? `(anonymous ${f.url.split('/').pop()}:${f.lineNumber})` : '(anonymous)');
  };
  const stack = (id) => {
    const names = [];
    for (; id !== undefined; id = parent.get(id)) names.push(name(byId.get(id)));
    return names;
  };
  // Sample times in profile microseconds; the first sample inside CLOCK_SYNC is page `synced`.
  const times = [];
  let t = profile.startTime;
  for (const dt of profile.timeDeltas) times.push((t += dt));
  const first = profile.samples.findIndex((id) => stack(id).includes('sightlineClockSync'));
  if (first < 0) return '  (the clock sync was not sampled)';
  const toPage = (us) => synced + (us - times[first]) / 1000;
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const at = toPage(times[i]);
    if (at < start || at > end) continue;
    const dt = (times[i + 1] ?? times[i]) - times[i];
    total += dt / 1000;
    const names = stack(profile.samples[i]);
    self.set(names[0], (self.get(names[0]) ?? 0) + dt / 1000);
    for (const n of new Set(names)) {
      if (n !== '(root)') inclusive.set(n, (inclusive.get(n) ?? 0) + dt / 1000);
    }
  }
  const list = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([n, ms]) => `    ${ms.toFixed(1).padStart(7)} ms  ${n}`).join('\n');
  return `  ${total.toFixed(1)} ms sampled\n  self time:\n${list(self)}\n  inclusive time:\n${list(inclusive)}`;
}
