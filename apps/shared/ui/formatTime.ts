// Times as a ward reads them: "24 Nov 2026, 14:05" (UK English) and how long ago.
const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

export function formatDateTime(iso: string | undefined): string {
  const time = Date.parse(iso ?? '');
  return Number.isNaN(time) ? '—' : DATE_TIME.format(time);
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function timeAgo(iso: string | undefined, now: number): string {
  const time = Date.parse(iso ?? '');
  if (Number.isNaN(time)) {
    return 'no readings';
  }
  const minutes = Math.max(0, Math.round((now - time) / 60_000));
  if (minutes < 2) {
    return 'just now';
  }
  if (minutes < 120) {
    return `${minutes} min ago`;
  }
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}
