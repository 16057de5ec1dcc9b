// Trunk post-build hook (Trunk.toml): moves Trunk's inline loader <script> into a file, so the
// page runs under a Content-Security-Policy without 'unsafe-inline' for scripts (index.html's
// meta tag), and writes 404.html for hosts that serve one for unknown paths.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('trunk-post-build: TRUNK_STAGING_DIR is not set (run by trunk build)');
  process.exit(1);
}
const indexPath = join(dir, 'index.html');
let html = readFileSync(indexPath, 'utf8');
const inline = /<script type="module">([\s\S]*?)<\/script>/g;
let count = 0;
html = html.replace(inline, (_, body) => {
  const name = `init-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.js`;
  writeFileSync(join(dir, name), body.trim() + '\n');
  count += 1;
  return `<script type="module" src="./${name}"></script>`;
});
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) {
  console.error('trunk-post-build: an inline script is left in index.html; the CSP would block it');
  process.exit(1);
}
writeFileSync(indexPath, html);

// Sightline keeps all state in the address's #hash, so it has no deep paths: a 404 is a wrong
// address. The page says so and links to the app (relative links cannot know the prefix, so it
// offers the site root and going back).
writeFileSync(join(dir, '404.html'), `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Not found · Sightline</title>
  </head>
  <body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em">
    <h1>Nothing here</h1>
    <p>Sightline keeps what you look at in the part of the address after <code>#</code>, so its
    pages never have other paths. This address names a file that does not exist.</p>
    <p>Open Sightline from the address it is hosted at (for GitHub Pages,
    <code>https://&lt;owner&gt;.github.io/&lt;repository&gt;/</code>), or go to the <a href="/">site root</a>.</p>
  </body>
</html>
`);
console.log(`trunk-post-build: ${count} inline script(s) moved to files; 404.html written`);
