import { useEffect, useRef, useState, type FormEvent } from 'react';
import {
  SubmitFactCheckBatchDocument,
  UploadFactCheckFileDocument,
  type BatchRowFragment,
  type SubmitFactCheckBatchInput,
} from '../__generated__/graphql';
import { gql, type GqlError } from '../api/client';
import { ErrorNotice } from '../components/common';
import { formatInt } from '../format';
import { useProviderName } from '../provider-names';
import { newIdempotencyKey } from './idempotency';

/** What the form holds; the idempotency key belongs to one content, so a second click submits once. */
interface Draft {
  name: string;
  lines: string;
  file: File | undefined;
}

const fingerprint = (d: Draft) => JSON.stringify([d.name, d.lines, d.file?.name, d.file?.size, d.file?.lastModified]);

/**
 * A new Check batch, from pasted lines (one claim a line) or an uploaded file (uploaded first with
 * `uploadFactCheckFile`, then submitted by its `fileId`). The same content keeps the same idempotency
 * key until it is submitted, so double clicks and retries make one batch.
 */
export function SubmitDialog({
  open,
  onClose,
  onSubmitted,
}: {
  open: boolean;
  onClose(): void;
  onSubmitted(batch: BatchRowFragment): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [draft, setDraft] = useState<Draft>({ name: '', lines: '', file: undefined });
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<GqlError[] | undefined>();
  const keys = useRef<{ print: string; submit: string; upload: string } | undefined>(undefined);
  const inFlight = useRef(false);
  const check = useProviderName()('FACT_CHECK');

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);

  const claims = draft.lines
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (inFlight.current) return;
    const print = fingerprint(draft);
    if (keys.current?.print !== print)
      keys.current = { print, submit: newIdempotencyKey('submit'), upload: newIdempotencyKey('upload') };
    const { submit: submitKey, upload: uploadKey } = keys.current;
    inFlight.current = true;
    setBusy(true);
    setErrors(undefined);
    try {
      const input: SubmitFactCheckBatchInput = draft.name.trim() ? { name: draft.name.trim() } : {};
      if (draft.file) {
        const up = await gql(
          UploadFactCheckFileDocument,
          { file: null as unknown as File, idempotencyKey: uploadKey },
          { files: { file: draft.file } },
        );
        const payload = up.data?.uploadFactCheckFile;
        const problems: GqlError[] = [
          ...(up.errors ?? []),
          ...(payload?.userErrors ?? []).map((e) => ({ message: e.message, extensions: { code: e.code } })),
          ...(payload?.validationErrors ?? []).map((e) => ({
            message: `Row ${e.row}: ${e.message}`,
            extensions: { code: 'VALIDATION', provider: 'FACT_CHECK' as const },
          })),
        ];
        if (problems.length || !payload?.fileId) {
          setErrors(problems.length ? problems : [{ message: `${check} did not accept the file` }]);
          return;
        }
        input.fileId = payload.fileId;
      } else {
        input.items = claims.map((content) => ({ content }));
      }
      const r = await gql(SubmitFactCheckBatchDocument, { input, idempotencyKey: submitKey });
      const payload = r.data?.submitFactCheckBatch;
      const problems: GqlError[] = [
        ...(r.errors ?? []),
        ...(payload?.userErrors ?? []).map((e) => ({
          message: e.field?.length ? `${e.field.join('.')}: ${e.message}` : e.message,
          extensions: { code: e.code, provider: 'FACT_CHECK' as const },
        })),
      ];
      if (problems.length) setErrors(problems);
      if (payload?.batch) {
        onSubmitted(payload.batch);
        setDraft({ name: '', lines: '', file: undefined });
        keys.current = undefined;
        onClose();
      }
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  const ready = draft.file !== undefined || claims.length > 0;
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="submit-title" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id="submit-title">New fact-check batch</h2>
        <p className="muted small">
          Sent to {check}. Paste one claim a line, or upload a CSV or JSON file in {check}&apos;s batch format.
        </p>
        <label className="field">
          <span>Name (optional)</span>
          <input
            type="text"
            value={draft.name}
            onChange={(e) => setDraft({ ...draft, name: e.target.value })}
            placeholder="e.g. Press release claims, week 48"
          />
        </label>
        <label className="field">
          <span>Claims, one a line</span>
          <textarea
            rows={7}
            value={draft.lines}
            disabled={draft.file !== undefined}
            onChange={(e) => setDraft({ ...draft, lines: e.target.value })}
            placeholder={'The Eiffel Tower is 330 m tall.\nWater boils at 90 °C at sea level.'}
          />
          <span className="muted small">{claims.length ? `${formatInt(claims.length)} claims` : ' '}</span>
        </label>
        <label className="field">
          <span>…or a file</span>
          <input
            type="file"
            accept=".csv,.json,.txt,text/csv,application/json,text/plain"
            onChange={(e) => setDraft({ ...draft, file: e.target.files?.[0] })}
          />
        </label>
        <ErrorNotice errors={errors} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
          <button type="submit" className="btn btn-primary" disabled={!ready || busy} aria-busy={busy}>
            {busy ? 'Submitting…' : 'Submit batch'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
