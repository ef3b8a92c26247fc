import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { ClipClient, ClipValidationError, type ClipClientOptions } from '../../src/index.js';
import { startMockServer, type MockServer } from '../../src/testing.js';

export interface MockClientContext {
  readonly mock: MockServer;
  /** A client on the mock, made before the file's tests run. */
  readonly clip: ClipClient;
  /** A further client on the mock with these options, closed with the rest after all tests. */
  client(options?: ClipClientOptions): ClipClient;
  /** The `ClipValidationError` a call is refused with, after checking that the mock saw no request. */
  refusal(call: Promise<unknown>): Promise<ClipValidationError>;
}

/**
 * One mock server and clients on it for a test file: started before all tests, the recorded
 * requests cleared before each, all closed after all. Clients send the key the mock expects (none by
 * default) and make no retries, so a failure shows at once.
 */
export function useMockClient(options: { apiKey?: string; client?: ClipClientOptions } = {}): MockClientContext {
  const clients: ClipClient[] = [];
  const state = {
    client(extra: ClipClientOptions = {}): ClipClient {
      const made = new ClipClient({ baseUrl: state.mock.url, apiKey: options.apiKey ?? null, maxRetries: 0, ...options.client, ...extra });
      clients.push(made);
      return made;
    },
    async refusal(call: Promise<unknown>): Promise<ClipValidationError> {
      const error = await call.then(
        () => expect.fail('the call resolved'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ClipValidationError);
      expect(state.mock.requests).toEqual([]);
      return error as ClipValidationError;
    },
  } as MockClientContext & { mock: MockServer; clip: ClipClient };
  beforeAll(async () => {
    state.mock = await startMockServer(options.apiKey === undefined ? {} : { apiKey: options.apiKey });
    state.clip = state.client();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await state.mock.close();
  });
  beforeEach(() => {
    state.mock.requests.length = 0;
  });
  return state;
}
