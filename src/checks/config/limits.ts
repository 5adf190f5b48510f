const UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/**
 * Parses a size: a number of bytes (`1048576`), or a number with a unit (`64MiB`, `500KiB`,
 * `1.5GiB`, `100MB`, `10 KB`). Returns undefined when `text` is not a size.
 */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text > 0 ? text : undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?) ?([KMG]i?B|B)?$/.exec(text.trim());
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2] ?? 'B']!);
  return bytes > 0 ? bytes : undefined;
}

/** Whether `YYYY-MM-DD` names a day that exists (2026-02-30 does not). */
export function isCalendarDate(text: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}
