// Preloaded with `node --import ./test/support/record-loads.mjs …`: appends the URL of every
// module the process resolves (one per line) to the file named by RECORD_LOADS_FILE, so a test
// can check which modules a command loads. Node's module customization hooks (node:module register).
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_LOADS_FILE } });
