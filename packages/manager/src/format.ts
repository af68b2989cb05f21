/** How the Manager writes times and counts: local time, to the minute, never an ambiguous date. */

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function daysRemainingText(days: number, synchronized: boolean): string {
  if (!synchronized) return 'Not synchronized: no licenses are issued';
  return `${plural(days, 'day')} until the required sync`;
}
