import { useLiveStatus, type LiveConnection } from '../api/live';
import { formatInt } from '../format';

/** The short word a phone's header has room for, and what it means in full. */
const WORDS: Record<LiveConnection, { short: string; title: string }> = {
  idle: { short: 'Idle', title: 'Nothing on screen is running: no batch is watched live' },
  connecting: { short: 'Connecting…', title: 'Opening the live stream' },
  connected: { short: 'Live', title: 'Changes appear as the gateway reads them' },
  reconnecting: { short: 'Reconnecting…', title: 'The live stream was lost: connecting again' },
  'needs-token': {
    short: 'Paused',
    title: 'The gateway refused or expired the token: live updates wait for a new one',
  },
};

/**
 * The header's word on the live stream: idle when nothing is watched, live while a socket serves what
 * is, reconnecting only after a socket was lost (never after the socket's own idle close). On a phone
 * it is the dot and one short word; the full sentence stays for screen readers.
 */
export function LiveIndicator() {
  const { connection, watching } = useLiveStatus();
  const text =
    connection === 'connected'
      ? `Live · ${formatInt(watching)} watched`
      : connection === 'reconnecting'
        ? 'Reconnecting…'
        : connection === 'needs-token'
          ? 'Live paused: token needed'
          : connection === 'connecting'
            ? 'Connecting…'
            : 'Live idle';
  const { short, title } = WORDS[connection];
  return (
    <span className={`live-status live-${connection}`} role="status" aria-live="polite" title={title}>
      <span className="live-status-dot" aria-hidden="true" />
      <span className="live-status-text">{text}</span>
      <span className="live-status-short" aria-hidden="true">
        {short}
      </span>
    </span>
  );
}
