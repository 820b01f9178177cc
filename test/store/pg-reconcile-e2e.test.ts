// test/profiles/reconcile-e2e.test.ts, unchanged, on PostgreSQL: startTestServer gives each server a fresh schema
// of the test PostgreSQL (FENESTRA_TEST_PG) when FENESTRA_TEST_DATABASE=postgres.
process.env.FENESTRA_TEST_DATABASE = 'postgres';
await import('../profiles/reconcile-e2e.test.js');
