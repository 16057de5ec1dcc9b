// Starts fetching the address's #src= files at once, while the app's WebAssembly is still
// downloading and compiling: a link from a CI summary opens the page and the trace together, and
// the download need not wait for the app. The app takes each response from
// window.__sightlineEarly[url] (see src/ui/load.rs) and reads its body with progress; a URL it
// does not take (another address by then) is aborted when the app starts its own loads.
(() => {
  const early = {};
  const decode = (s) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  for (const pair of location.hash.replace(/^#/, '').split('&')) {
    const at = pair.indexOf('=');
    if (at < 1 || decode(pair.slice(0, at)) !== 'src') continue;
    const url = decode(pair.slice(at + 1));
    // Only what the app would fetch itself: http(s) URLs and paths on this site.
    if (!url || (/^[a-z][a-z0-9+.-]*:/i.test(url) && !/^https?:/i.test(url)) || url in early) continue;
    const controller = new AbortController();
    early[url] = { controller, response: fetch(url, { signal: controller.signal }) };
    // Unhandled until the app takes it: a failure is the app's to report.
    early[url].response.catch(() => {});
  }
  window.__sightlineEarly = early;
})();
