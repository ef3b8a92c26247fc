import { describe, expect, it } from 'vitest';
import { runClassifyBench } from '../bench/classify.js';

describe('classify benchmark', () => {
  it('classify with 20 labels sends exactly one request per call from the second call on', async () => {
    const { rows, requestsPerCall } = await runClassifyBench({ labels: 20, calls: 4 });
    expect(requestsPerCall).toEqual([2, 1, 1, 1]);
    expect(rows[0]!.pass).toBe(true);
  });
});
