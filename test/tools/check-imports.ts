/**
 * Import check run by `npm test`: no import cycles among the modules of `src/`, and imports
 * point one way only, from the composition root down to the pure codecs. The layering:
 *
 *   main.ts
 *     cli  ──────────────────────────────┐
 *     lab (gateway + simulators: demo)   │
 *     gateway (assembly of the parts)    │
 *     admin, queue, bridge               │
 *     sim     inbox  lwm2m   modem       │
 *     sms (pure codec)                   │
 *     log (pino, redaction; gateway/cli/main use it)
 *     shared (errors, hex, small helpers)◄┘
 *
 * A folder may import only the folders listed for it in ALLOWED. A new folder must be added
 * here, on purpose. Exits 1 and names every offending import.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Folder of src/ → folders it may import from (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  shared: [],
  log: ['shared'],
  sms: ['shared'],
  modem: ['shared', 'sms'],
  lwm2m: ['shared'],
  inbox: ['shared', 'sms'],
  config: ['shared', 'modem', 'lwm2m', 'bridge', 'queue'],
  sim: ['shared', 'sms', 'modem', 'lwm2m'],
  bridge: ['shared', 'sms', 'modem', 'lwm2m', 'inbox'],
  queue: ['shared', 'sms', 'modem', 'lwm2m', 'inbox', 'bridge'],
  admin: ['shared', 'sms', 'modem', 'lwm2m', 'inbox', 'bridge', 'queue'],
  gateway: ['shared', 'sms', 'modem', 'lwm2m', 'inbox', 'bridge', 'queue', 'admin', 'config', 'log'],
  lab: ['shared', 'sms', 'modem', 'lwm2m', 'inbox', 'sim', 'bridge', 'gateway', 'config'],
  cli: ['shared', 'sms', 'modem', 'lwm2m', 'inbox', 'sim', 'bridge', 'queue', 'admin', 'gateway', 'lab', 'config', 'log'],
  '.': ['shared', 'sms', 'modem', 'lwm2m', 'inbox', 'sim', 'bridge', 'queue', 'admin', 'gateway', 'lab', 'cli', 'config', 'log'],
};

const IMPORT_PATTERN = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(name) ? [path] : [];
  });
}

function folderOf(srcRoot: string, file: string): string {
  const rel = relative(srcRoot, file);
  return rel.includes(sep) ? (rel.split(sep)[0] ?? '.') : '.';
}

function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

function main(): number {
  const srcRoot = resolve(dirname(new URL(import.meta.url).pathname), '../../src');
  const problems: string[] = [];
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(srcRoot)) {
    const from = relative(srcRoot, file);
    const folder = folderOf(srcRoot, file);
    const allowed = ALLOWED[folder];
    if (allowed === undefined) problems.push(`${from}: folder "${folder}" has no entry in ALLOWED (test/tools/check-imports.ts)`);
    const edges: string[] = [];
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT_PATTERN)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? '';
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      const to = relative(srcRoot, target);
      if (to.startsWith('..')) {
        problems.push(`${from}: imports ${specifier}, outside src/`);
        continue;
      }
      edges.push(to);
      const targetFolder = folderOf(srcRoot, target);
      if (targetFolder !== folder && allowed !== undefined && !allowed.includes(targetFolder)) {
        problems.push(`${from}: "${folder}" may not import "${targetFolder}" (${specifier})`);
      }
    }
    graph.set(from, edges);
  }
  for (const cycle of findCycles(graph)) problems.push(`import cycle: ${cycle.join(' -> ')}`);
  if (problems.length > 0) {
    for (const problem of problems) console.error(problem);
    console.error(`check-imports: ${problems.length} problem(s)`);
    return 1;
  }
  console.log(`check-imports: ${graph.size} modules, no cycles, layering respected`);
  return 0;
}

process.exitCode = main();
