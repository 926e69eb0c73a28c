/**
 * Lua scripts for Redis, kept as files beside the module that runs them (the build copies every
 * `src/<folder>/lua/` next to the compiled code) and loaded once per connection through ioredis
 * `defineCommand` (EVALSHA, falling back to EVAL when Redis lost its script cache). A file is
 * named `<command>-<number of KEYS>.lua`; its header states its KEYS/ARGV contract.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** One script as ioredis `defineCommand` takes it. */
export interface LuaScript {
  readonly numberOfKeys: number;
  readonly lua: string;
}

/**
 * Reads the scripts `<command>-<keys>.lua` of `files` from the `lua/` folder beside `moduleUrl`
 * (the caller's `import.meta.url`), by command name. Throws when a file is missing or its name
 * does not end in `-<keys>.lua` (a packaging defect: at start, never later).
 */
export function readLuaScripts<Name extends string>(moduleUrl: string, files: Readonly<Record<Name, string>>): Readonly<Record<Name, LuaScript>> {
  const scripts = {} as Record<Name, LuaScript>;
  for (const [name, file] of Object.entries(files) as [Name, string][]) {
    const keys = /-(\d+)\.lua$/.exec(file);
    if (keys === null) throw new Error(`Lua script file ${file} is not named <command>-<keys>.lua`);
    scripts[name] = { numberOfKeys: Number(keys[1]), lua: readFileSync(new URL(`./lua/${file}`, moduleUrl), 'utf8') };
  }
  return scripts;
}

/** Defines each of `scripts` as a command of `redis`, unless the connection has it already. */
export function defineLuaScripts(redis: Redis, scripts: Readonly<Record<string, LuaScript>>): void {
  for (const [name, script] of Object.entries(scripts)) {
    if (!(name in redis)) redis.defineCommand(name, script);
  }
}
