import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../../lambda/adapters/sqs-retry.js';

describe('retryDelaySeconds', () => {
  it('brings the first three retries forward, 1, 5 and 25 minutes, and leaves later ones to the queue', () => {
    // Act, Assess: the default 900 s function timeout, a 5,400 s visibility timeout
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(n, 5_400))).toEqual([60, 300, 1_500, undefined, undefined]);
  });

  it('never asks for a wait the queue would end sooner (a 60 s function timeout: 360 s visibility)', () => {
    // Act, Assess
    expect([1, 2, 3].map((n) => retryDelaySeconds(n, 360))).toEqual([60, 300, undefined]);
    expect(retryDelaySeconds(1, 60)).toBeUndefined();
  });

  it('asks for nothing when the receive count is not a count', () => {
    // Act, Assess
    expect([0, -1, 1.5, Number.NaN].map((n) => retryDelaySeconds(n, 5_400))).toEqual(Array(4).fill(undefined));
  });
});
