import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_LIMITS } from '../mesh/load.js';
import { formatSize } from '../mesh/read.js';
import { WorkloadFileError } from '../xds/translate/index.js';

/**
 * The largest workload file read (bytes): `check`'s default input limit (`--max-input-size`,
 * 64 MiB), some 400,000 entries. Past it the file is refused before it is read: a 700 MB file
 * once took 1.2 GB of memory and then failed in JSON.parse (ERR_STRING_TOO_LONG).
 */
export const MAX_WORKLOAD_FILE_BYTES = DEFAULT_LIMITS.maxInputBytes;

/**
 * The text of the workload file at `path` (`file` as the user wrote it, for messages). Throws
 * {@link WorkloadFileError} when it is over {@link MAX_WORKLOAD_FILE_BYTES}; errors of reading
 * (ENOENT, EACCES) are thrown as they come, for the caller to word.
 */
export function readWorkloadFileText(path: string, file: string): string {
  const stat = statSync(path);
  if (stat.isFile() && stat.size > MAX_WORKLOAD_FILE_BYTES) {
    throw new WorkloadFileError(file, `is ${bytes(stat.size)}, over the workload file limit of ${bytes(MAX_WORKLOAD_FILE_BYTES, "check's default --max-input-size; some 400,000 entries")}, so it is not read; list only the pods of the services this mesh serves`);
  }
  return readFileSync(path, 'utf8');
}

/** `67,108,865 bytes (64.0 MiB)`, `… (64.0 MiB, <note>)`. */
function bytes(n: number, note?: string): string {
  return `${n.toLocaleString('en-US')} bytes (${formatSize(n)}${note ? `, ${note}` : ''})`;
}
