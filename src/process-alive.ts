/**
 * Whether process `pid` is running on this machine: signal 0 checks without sending anything, and
 * EPERM means it runs under another user. For the files a run leaves behind (address locks,
 * staging folders), which a later run may remove once their owner is gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
