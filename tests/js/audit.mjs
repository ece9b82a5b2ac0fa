// Runs graphql-http's server audits (GraphQL over HTTP conformance) against the URL
// given as the first argument. Prints one line per audit and a summary as JSON on
// the last line; exits 1 unless every audit is ok.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
const results = [];
for (const audit of serverAudits({ url })) {
  results.push(await audit.fn());
}
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const r of results) {
  counts[r.status] += 1;
  const detail = r.status === 'ok' ? '' : ` — ${r.reason}`;
  console.log(`${r.status.padEnd(6)} ${r.id} ${r.name}${detail}`);
}
console.log(JSON.stringify({ total: results.length, ...counts }));
process.exit(counts.ok === results.length ? 0 : 1);
