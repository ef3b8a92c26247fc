import { afterAll, beforeAll, beforeEach } from 'vitest';
import { ClipClient, type ClipClientOptions } from '../../src/index.js';
import { startMockServer, type MockServer } from '../../src/testing/index.js';

/**
 * One mock server and one client on it for a test file: started before all tests, the recorded
 * requests cleared before each, both closed after all. The client sends the key the mock expects
 * (none by default) and makes no retries, so a failure shows at once.
 */
export function useMockClient(options: { apiKey?: string; client?: ClipClientOptions } = {}): { readonly mock: MockServer; readonly clip: ClipClient } {
  const state = {} as { mock: MockServer; clip: ClipClient };
  beforeAll(async () => {
    state.mock = await startMockServer(options.apiKey === undefined ? {} : { apiKey: options.apiKey });
    state.clip = new ClipClient({ baseUrl: state.mock.url, apiKey: options.apiKey ?? null, maxRetries: 0, ...options.client });
  });
  afterAll(async () => {
    await state.clip.close();
    await state.mock.close();
  });
  beforeEach(() => {
    state.mock.requests.length = 0;
  });
  return state;
}
