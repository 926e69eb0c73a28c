// Resolve hook of record-loads.mjs: runs on Node's loader thread.
import { appendFileSync } from 'node:fs';

let file = '';

/** Receives the file to append to. */
export function initialize(data) {
  file = data.file;
}

/** Appends each resolved URL to the file. */
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
