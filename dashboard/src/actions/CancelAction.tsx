import { useRef, useState } from 'react';
import { CancelBatchDocument, type BatchRowFragment } from '../__generated__/graphql';
import { gql, type GqlError } from '../api/client';
import { ErrorNotice } from '../components/common';
import { useProviderName } from '../provider-names';
import { newIdempotencyKey } from './idempotency';

/**
 * "Cancel batch", with a confirmation step. One idempotency key per batch shown, so a repeated click
 * (or a retry after a network failure) cancels once.
 */
export function CancelAction({
  batch,
  canCancel,
  onChanged,
}: {
  batch: BatchRowFragment;
  canCancel: boolean;
  onChanged(batch: BatchRowFragment): void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<GqlError[] | undefined>();
  const key = useRef<{ id: string; key: string } | undefined>(undefined);
  const nameOf = useProviderName();
  if (batch.isTerminal) return null;
  if (!canCancel) return <p className="muted small">{nameOf(batch.provider)} has no cancel endpoint.</p>;
  if (key.current?.id !== batch.id) key.current = { id: batch.id, key: newIdempotencyKey('cancel') };

  const cancel = async () => {
    setBusy(true);
    setErrors(undefined);
    const r = await gql(CancelBatchDocument, { id: batch.id, idempotencyKey: key.current!.key });
    setBusy(false);
    const payload = r.data?.cancelBatch;
    const userErrors: GqlError[] = (payload?.userErrors ?? []).map((e) => ({
      message: e.message,
      extensions: { code: e.code, provider: batch.provider },
    }));
    if (r.errors?.length || userErrors.length) setErrors([...(r.errors ?? []), ...userErrors]);
    if (payload?.batch) {
      onChanged(payload.batch);
      setConfirming(false);
    }
  };

  return (
    <div className="actions">
      {confirming ? (
        <div className="confirm" role="group" aria-label="Confirm cancellation">
          <span>Cancel this {nameOf(batch.provider)} batch? Items not yet processed are skipped.</span>
          <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void cancel()}>
            {busy ? 'Cancelling…' : 'Yes, cancel it'}
          </button>
          <button type="button" className="btn" disabled={busy} onClick={() => setConfirming(false)}>
            Keep running
          </button>
        </div>
      ) : (
        <button type="button" className="btn btn-danger-outline" onClick={() => setConfirming(true)}>
          Cancel batch
        </button>
      )}
      <ErrorNotice errors={errors} />
    </div>
  );
}
