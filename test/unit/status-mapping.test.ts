import { describe, expect, it } from 'vitest';
import { fromFactCheckStatus } from '../../src/providers/factcheck/status.js';
import { fromGameballStatus } from '../../src/providers/gameball/status.js';
import { fromReachStatus } from '../../src/providers/reach/status.js';

describe('status mapping (the table of docs/schema.md)', () => {
  it.each([
    ['processing', 'RUNNING'],
    ['success', 'SUCCEEDED'],
    ['partial_success', 'PARTIALLY_SUCCEEDED'],
    ['failure', 'FAILED'],
    ['SUCCESS', 'SUCCEEDED'],
    ['exploded', 'UNKNOWN'],
  ])('Reach %s is %s', (word, status) => expect(fromReachStatus(word)).toBe(status));

  it.each([
    ['pending', 0, 'QUEUED'],
    ['processing', 0, 'RUNNING'],
    ['completed', 0, 'SUCCEEDED'],
    ['completed', 3, 'PARTIALLY_SUCCEEDED'],
    ['failed', 0, 'FAILED'],
    ['stopped', 0, 'CANCELLED'],
    ['Queued', 0, 'QUEUED'],
    ['Running', 0, 'RUNNING'],
    ['Stopped', 0, 'CANCELLED'],
    ['inProgress', 0, 'RUNNING'],
    ['paused', 0, 'UNKNOWN'],
  ])('Gameball %s with %i failed items is %s', (word, failed, status) =>
    expect(fromGameballStatus(word, failed)).toBe(status),
  );

  it.each([
    ['pending', 0, 'QUEUED'],
    ['validating', 0, 'RUNNING'],
    ['processing', 0, 'RUNNING'],
    ['completed', 0, 'SUCCEEDED'],
    ['completed', 2, 'PARTIALLY_SUCCEEDED'],
    ['failed', 0, 'FAILED'],
    ['cancelled', 0, 'CANCELLED'],
    ['archived', 0, 'UNKNOWN'],
  ])('Check %s with %i failures is %s', (word, failed, status) =>
    expect(fromFactCheckStatus(word, failed)).toBe(status),
  );
});
