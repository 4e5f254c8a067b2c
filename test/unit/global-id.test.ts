import { PROVIDER_NAMES } from '../../src/providers/index.js';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/domain/errors.js';
import { fromGlobalId, toGlobalId } from '../../src/domain/global-id.js';

describe('global IDs', () => {
  it('encode the type and upstream id as base64url and decode back', () => {
    expect(toGlobalId('REACH', 'b-1')).toBe(Buffer.from('ReachBatch:b-1').toString('base64url'));
    expect(fromGlobalId(toGlobalId('FACT_CHECK', 'batch_abc123def456'), PROVIDER_NAMES)).toEqual({
      provider: 'FACT_CHECK',
      providerBatchId: 'batch_abc123def456',
    });
    expect(fromGlobalId(toGlobalId('GAMEBALL', '123456'), PROVIDER_NAMES)).toEqual({
      provider: 'GAMEBALL',
      providerBatchId: '123456',
    });
  });

  it('keeps colons inside the upstream id', () => {
    expect(fromGlobalId(toGlobalId('REACH', 'a:b:c'), PROVIDER_NAMES).providerBatchId).toBe('a:b:c');
  });

  it.each([
    ['not base64', '!!!'],
    ['empty', ''],
    ['unknown type', Buffer.from('User:1').toString('base64url')],
    ['no separator', Buffer.from('ReachBatch').toString('base64url')],
    ['empty upstream id', Buffer.from('ReachBatch:').toString('base64url')],
    ['huge', 'A'.repeat(5000)],
  ])('rejects %s with BAD_USER_INPUT', (_, id) => {
    try {
      fromGlobalId(id, PROVIDER_NAMES);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('BAD_USER_INPUT');
      expect((error as GatewayError).message.length).toBeLessThan(200);
    }
  });
});
