/**
 * `Query.consoleSettings` (groundwork of the operator console, issue 34): the gateway's `CONSOLE_*` settings as
 * the dashboard reads them through the API, their defaults, and the refusal of values out of range at start-up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const QUERY = '{ consoleSettings { attentionFailureRate exportMaxRows } }';

describe('consoleSettings', () => {
  it('answers the defaults, and what CONSOLE_* set', async () => {
    h = await startHarness({ batchCount: 5 });
    expect((await h.gql(QUERY)).data.consoleSettings).toEqual({ attentionFailureRate: 0.2, exportMaxRows: 10_000 });
    await h.close();
    h = await startHarness({
      batchCount: 5,
      env: { CONSOLE_ATTENTION_FAILURE_RATE: '0.35', CONSOLE_EXPORT_MAX_ROWS: '500' },
    });
    expect((await h.gql(QUERY)).data.consoleSettings).toEqual({ attentionFailureRate: 0.35, exportMaxRows: 500 });
  });

  it('refuses values out of range, naming the variable', () => {
    for (const [name, value] of [
      ['CONSOLE_ATTENTION_FAILURE_RATE', '1'],
      ['CONSOLE_ATTENTION_FAILURE_RATE', '-0.1'],
      ['CONSOLE_EXPORT_MAX_ROWS', '10'],
    ] as const) {
      expect(() => loadConfig({ AUTH_MODE: 'none', [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ AUTH_MODE: 'none', [name]: value })).toThrow(new RegExp(name));
    }
  });
});
