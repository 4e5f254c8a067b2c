import { randomBytes } from 'node:crypto';
import { FACTCHECK_DECISION_DEFAULTS, FACTCHECK_METHOD_PLAN, FACTCHECK_PLANS } from '../plans.js';
import { FACT_CHECK_SIM_PLANS, type FactCheckPlan } from './plans.js';
import { createdBatch, type SimBatch } from '../../../dev/simulators/model.js';
import { parseMultipart } from '../../../dev/simulators/multipart.js';
import type { CreatedBatch, SimRequest, SimResponse } from '../../../dev/simulators/server.js';
import type { SimClock } from '../../../dev/simulators/clock.js';

interface Uploaded {
  items: number;
  invalid: boolean;
  expiresAt: number;
  used: boolean;
  format: 'csv' | 'json';
  fileName: string;
}

type ErrorFn = (status: number, code: string, message: string, extra?: Record<string, unknown>) => SimResponse;
type Detail = { field: string; message: string };

/**
 * Check's writes on the simulator: `POST /v1/batch` (items or a `fileId`, validated as the docs
 * say: 422 `validation_error` with `details[{field, message}]`, 402 `quota_exceeded` past the
 * month's verifications, 403 on the Free plan) and `POST /v1/batch/upload` (multipart `file`,
 * CSV or JSON; 413 `payload_too_large` over the plan's size, 400 "File parsing failed").
 */
export function createFactCheckWrites(o: {
  clock: SimClock;
  batches: SimBatch[];
  plan: FactCheckPlan;
  error: ErrorFn;
  created: CreatedBatch[];
}) {
  const limits = FACT_CHECK_SIM_PLANS[o.plan];
  let verificationsLeft: number = limits.verificationsPerMonth;
  const files = new Map<string, Uploaded>();
  const rank = limits.rank;
  const invalid = (details: Detail[]) =>
    o.error(422, 'validation_error', details.map((d) => `${d.field}: ${d.message}`).join('; '), { details });

  function validate(body: Record<string, unknown>): Detail[] {
    const details: Detail[] = [];
    const { items, fileId, methods, options, name, context } = body;
    if ((items === undefined) === (fileId === undefined))
      details.push({ field: 'items', message: 'provide either items or fileId' });
    if (items !== undefined) {
      if (!Array.isArray(items) || items.length === 0)
        details.push({ field: 'items', message: 'must be a non-empty array' });
      else if (items.length > limits.itemsPerBatch)
        details.push({ field: 'items', message: `at most ${limits.itemsPerBatch} items per batch on this plan` });
      else
        items.forEach((item: unknown, i) => {
          const content = (item as { content?: unknown } | null)?.content;
          if (typeof content !== 'string' || content.length === 0)
            details.push({ field: `items[${i}].content`, message: 'Content is required' });
          else if (content.length > limits.contentChars)
            details.push({ field: `items[${i}].content`, message: 'Content exceeds maximum length' });
        });
    }
    if (fileId !== undefined && typeof fileId !== 'string')
      details.push({ field: 'fileId', message: 'must be a string' });
    if (name !== undefined && typeof name !== 'string') details.push({ field: 'name', message: 'must be a string' });
    if (context !== undefined && (context === null || typeof context !== 'object'))
      details.push({ field: 'context', message: 'must be an object' });
    if (methods !== undefined) {
      for (const [method, weight] of Object.entries((methods ?? {}) as Record<string, unknown>)) {
        const tier = FACTCHECK_METHOD_PLAN[method];
        if (!tier) details.push({ field: `methods.${method}`, message: 'unknown method' });
        else if (FACTCHECK_PLANS[tier].rank > rank)
          details.push({ field: `methods.${method}`, message: `needs the ${tier} plan` });
        if (typeof weight !== 'number' || weight < 0)
          details.push({ field: `methods.${method}`, message: 'weight must be >= 0' });
      }
    }
    const opt = (options ?? {}) as Record<string, unknown>;
    const range = (key: string, min: number, max: number, integer = false) => {
      const v = opt[key];
      if (v === undefined) return;
      if (typeof v !== 'number' || v < min || v > max || (integer && !Number.isInteger(v)))
        details.push({
          field: `options.${key}`,
          message: `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
        });
    };
    range('timeout', 1_000, 300_000, true);
    range('minConfidence', 0, 1);
    range('acceptThreshold', 0, 1);
    range('escalateThreshold', 0, 1);
    range('maxRetries', 0, 5, true);
    const accept =
      typeof opt.acceptThreshold === 'number' ? opt.acceptThreshold : FACTCHECK_DECISION_DEFAULTS.acceptThreshold;
    const escalate =
      typeof opt.escalateThreshold === 'number' ? opt.escalateThreshold : FACTCHECK_DECISION_DEFAULTS.escalateThreshold;
    if (!(accept > escalate))
      details.push({ field: 'options.acceptThreshold', message: 'must be greater than escalateThreshold' });
    if (opt.retryOnLowConfidence === true && opt.minConfidence === undefined)
      details.push({ field: 'options.retryOnLowConfidence', message: 'requires minConfidence' });
    return details;
  }

  function create(req: SimRequest): SimResponse {
    if (rank === 0) return o.error(403, 'forbidden', 'Batch processing requires a Pro or Enterprise plan');
    const body = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      return o.error(400, 'bad_request', 'The request body must be a JSON object');
    const b = body as Record<string, unknown>;
    const details = validate(b);
    let file: Uploaded | undefined;
    if (details.length === 0 && typeof b.fileId === 'string') {
      file = files.get(b.fileId);
      if (!file || file.used || file.expiresAt <= o.clock.now())
        details.push({ field: 'fileId', message: 'unknown, expired or already used file' });
    }
    if (details.length > 0) return invalid(details);
    const total = file ? file.items : (b.items as unknown[]).length;
    if (total > verificationsLeft)
      return o.error(402, 'quota_exceeded', 'Monthly verification quota exceeded. Upgrade your plan to continue.');
    verificationsLeft -= total;
    if (file) file.used = true;
    const now = o.clock.now();
    const id = `batch_${randomBytes(6).toString('hex')}`;
    const methods = (b.methods as Record<string, number> | undefined) ?? { reasoning: 1 };
    const batch = createdBatch(
      id,
      o.batches.length,
      now,
      total,
      {
        name: typeof b.name === 'string' ? b.name : null,
        format: file ? file.format : 'json',
        fileName: file?.fileName ?? null,
        methods,
        context: (b.context as Record<string, unknown> | undefined) ?? null,
      },
      file?.invalid ? 'failedValidation' : 'success',
    );
    o.batches.push(batch);
    o.created.push({ id, route: 'POST /v1/batch', count: total, at: now, detail: file ? { fileId: b.fileId } : {} });
    return {
      status: 202,
      body: {
        id,
        status: 'processing',
        name: batch.extra.name,
        totalItems: total,
        processedItems: 0,
        successCount: 0,
        failureCount: 0,
        methods,
        createdAt: new Date(now).toISOString(),
        message: 'Batch created successfully. Items are being processed.',
      },
    };
  }

  function upload(req: SimRequest): SimResponse {
    if (req.rawBody.length > limits.fileBytes)
      return o.error(
        413,
        'payload_too_large',
        `File exceeds the ${limits.fileBytes / 1024 / 1024} MB limit of this plan`,
      );
    const parts = parseMultipart(req.headers['content-type'] ?? '', req.rawBody);
    const part = parts?.find((p) => p.name === 'file');
    if (!part)
      return o.error(400, 'validation_error', 'A multipart field "file" is required', {
        details: [{ field: 'file', message: 'required' }],
      });
    const fileName = part.fileName ?? 'upload';
    const format = /\.csv$/i.test(fileName) || part.contentType === 'text/csv' ? 'csv' : 'json';
    const rows = format === 'csv' ? csvRows(part.data.toString('utf8')) : jsonRows(part.data.toString('utf8'));
    if (rows === null)
      return {
        status: 400,
        body: {
          error: 'File parsing failed',
          validationErrors: [{ row: 0, error: `Not valid ${format.toUpperCase()}` }],
        },
      };
    const validationErrors = rows.flatMap((content, i) =>
      typeof content !== 'string' || content.length === 0
        ? [{ row: i + 1, error: 'Content is required' }]
        : content.length > limits.contentChars
          ? [{ row: i + 1, error: 'Content exceeds maximum length' }]
          : [],
    );
    const fileId = `file_${randomBytes(8).toString('hex')}`;
    const expiresAt = o.clock.now() + limits.fileTtlMs;
    files.set(fileId, {
      items: rows.length,
      invalid: validationErrors.length > 0,
      expiresAt,
      used: false,
      format,
      fileName,
    });
    return {
      status: 200,
      body: {
        fileId,
        originalFileName: fileName,
        format,
        itemCount: rows.length,
        validationErrors,
        expiresAt: new Date(expiresAt).toISOString(),
        message: 'File uploaded successfully',
      },
    };
  }

  /** `POST /__sim/verifications {left}`: how many verifications the month has left (402 beyond). */
  function control(method: string, path: string, input: unknown): SimResponse | undefined {
    if (method !== 'POST' || path !== '/__sim/verifications') return undefined;
    const left = (input as { left?: unknown } | null)?.left;
    verificationsLeft = typeof left === 'number' ? left : limits.verificationsPerMonth;
    return { status: 204, body: undefined };
  }

  return { create, upload, control };
}

/** The `content` of each row of a CSV whose header names a `content` column (quotes allowed); null if unreadable. */
function csvRows(text: string): (string | undefined)[] | null {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return null;
  const header = splitCsv(lines[0]!);
  const column = header.indexOf('content');
  if (column < 0) return null;
  return lines.slice(1).map((line) => splitCsv(line)[column]);
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') ((cell += '"'), i++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (out.push(cell), (cell = ''));
    else cell += c;
  }
  out.push(cell);
  return out.map((c) => c.trim());
}

/** The `content` of each item of a JSON array (or `{items: [...]}`); null when unreadable. */
function jsonRows(text: string): (string | undefined)[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const items = Array.isArray(parsed) ? parsed : (parsed as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return null;
  return items.map((item) => {
    const content = (item as { content?: unknown } | null)?.content;
    return typeof content === 'string' ? content : undefined;
  });
}
