import { env, fragment } from '../config/settings.js';

/** What the operator console reads of the gateway's settings (`Query.consoleSettings`, docs/dashboard.md). */
export interface ConsoleSettings {
  /** "Needs attention" lists batches whose failure rate (failed ÷ processed) is above this. */
  attentionFailureRate: number;
  /** The most rows one CSV export of the console reads. */
  exportMaxRows: number;
}

/** `CONSOLE_*`: the operator console's settings, served to it through the API. */
export const consoleSettings = fragment(
  {
    CONSOLE_ATTENTION_FAILURE_RATE: env
      .number(0.2, 0, 0.99)
      .describe(
        "the failure rate (failed ÷ processed, 0 to 0.99) above which the operator console's needs-attention strip " +
          'counts a batch (`BatchFilter.failureRateAbove`); served as `consoleSettings.attentionFailureRate`',
      ),
    CONSOLE_EXPORT_MAX_ROWS: env
      .int(10_000, 100, 1_000_000)
      .describe(
        "the most rows one CSV export of the operator console reads (a page of 100 at a time, through the API's " +
          'paging); served as `consoleSettings.exportMaxRows`',
      ),
  },
  (v): ConsoleSettings => ({
    attentionFailureRate: v.CONSOLE_ATTENTION_FAILURE_RATE,
    exportMaxRows: v.CONSOLE_EXPORT_MAX_ROWS,
  }),
  { title: 'Operator console', says: 'What the dashboard reads of the gateway through `Query.consoleSettings`.' },
);
