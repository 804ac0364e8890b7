/** Which of the lab's processes a command line is: the server and the load worker run from their bundles (bench/process-bundle.ts) or, started by hand, from source. */
export function labProcessOf(command: string): 'server' | 'load worker' | null {
  if (/scripts\/serve\.ts|processes\/server-[0-9a-f]+\.mjs/.test(command)) return 'server';
  if (/load\/worker\.ts|processes\/load-worker-[0-9a-f]+\.mjs/.test(command)) return 'load worker';
  return null;
}
