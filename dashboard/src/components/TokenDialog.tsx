import { useEffect, useRef, useState, type FormEvent } from 'react';
import { auth, useAuth } from '../api/auth';

/**
 * Asks for a bearer token when the gateway wants one (AUTH_MODE=jwt): on an UNAUTHENTICATED answer
 * or a 4403 close of the live stream. The token is kept in session storage for this tab.
 */
export function TokenDialog({ open: forced, onClose }: { open: boolean; onClose(): void }) {
  const { needed } = useAuth();
  const dialog = useRef<HTMLDialogElement>(null);
  const [value, setValue] = useState('');
  const open = forced || needed !== undefined;
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const save = (e: FormEvent) => {
    e.preventDefault();
    auth.set(value);
    setValue('');
    onClose();
  };
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="token-title"
      onClose={() => {
        if (auth.snapshot().needed !== undefined) auth.dismiss();
        onClose();
      }}
    >
      <form onSubmit={save}>
        <h2 id="token-title">Bearer token</h2>
        <p className="muted small">
          {needed ?? 'The token sent with every request and the live stream.'} It is kept in this tab&apos;s session
          storage only.
        </p>
        <label className="field">
          <span>Token (JWT)</span>
          <input
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            placeholder="eyJhbGciOi…"
            required
          />
        </label>
        <div className="dialog-actions">
          <button
            type="button"
            className="btn"
            onClick={() => {
              auth.dismiss();
              onClose();
            }}
          >
            Not now
          </button>
          <button type="submit" className="btn btn-primary">
            Use token
          </button>
        </div>
      </form>
    </dialog>
  );
}
