// Opens Kapok's GraphiQL in headless Chromium with every host but the server cut
// off, runs the default query and checks the answer. Exits 1 with the reason when
// the editor does not render, the query does not run, or the page asked anything
// of another host.
import { chromium } from 'playwright-core';

const base = process.argv[2];
if (!base) {
  console.error('usage: node graphiql.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
const origin = new URL(base).origin;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // The network is cut off: no name resolves but the server's own address.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ],
});
const elsewhere = [];
let failed = null;
try {
  const page = await browser.newPage();
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}/graphiql`, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-container .CodeMirror', { timeout: 20000 });
  // The schema loads (introspection) for completion and the docs.
  await page.click('button[aria-label="Show Documentation Explorer"]');
  await page.waitForFunction(
    () => document.querySelector('.graphiql-doc-explorer')?.innerText.includes('Query'),
    null,
    { timeout: 20000 },
  );
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => document.querySelector('.result-window')?.innerText.includes('广州市'),
    null,
    { timeout: 20000 },
  );
  const result = await page.evaluate(() => document.querySelector('.result-window').innerText);
  if (!result.includes('"children"')) failed = `unexpected result: ${result.slice(0, 300)}`;
  if (errors.length) failed = `page errors: ${errors.join('; ')}`;
  console.log(JSON.stringify({ rendered: true, ran: true, externalRequests: elsewhere }));
} catch (e) {
  failed = String(e);
} finally {
  await browser.close();
}
if (elsewhere.length) failed = `requests to other hosts: ${elsewhere.join(', ')}`;
if (failed) {
  console.error(failed);
  process.exit(1);
}
