// test/push/push-e2e.test.ts, unchanged, on PostgreSQL (the push_channels row through the
// postgres store): startTestServer gives each server a fresh schema when FENESTRA_TEST_DATABASE=postgres.
process.env.FENESTRA_TEST_DATABASE = 'postgres';
await import('./push-e2e.test.js');
