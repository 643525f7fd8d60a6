/**
 * The `kvmdev` bin.
 * @packageDocumentation
 */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`kvmdev: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 4;
  },
);
