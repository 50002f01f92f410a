// Runs graphql-http's GraphQL-over-HTTP server audits against a running server
// and prints one JSON array: [{id, name, requirement, status, reason}].
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const requirement = audit.name.split(' ')[0];
  try {
    const result = await audit.fn();
    results.push({
      id: result.id,
      name: result.name,
      requirement,
      status: result.status,
      reason: result.status === 'ok' ? null : result.reason,
    });
  } catch (error) {
    // An audit throws only when it cannot run at all: that counts as a failure.
    results.push({ id: audit.id, name: audit.name, requirement, status: 'error', reason: String(error) });
  }
}
console.log(JSON.stringify(results, null, 2));
