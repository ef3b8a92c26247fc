/** The load test's mock server, in its own process so that the client's figures are its own. */
import { startMockServer, type MockServerOptions } from '../../src/testing.js';

const options = JSON.parse(process.argv[2] ?? '{}') as MockServerOptions;
const mock = await startMockServer({ ...options, recordRequests: false });
process.send?.({ url: mock.url });
process.on('message', (message) => {
  if (message === 'stats') process.send?.({ stats: mock.stats });
  if (message === 'close') void mock.close().then(() => process.exit(0));
});
