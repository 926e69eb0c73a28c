/**
 * The defaults as documentation: `config/default.yaml` is this module's output
 * (`smsbridge config print-defaults`), every key with its description, unit and default taken from
 * the schema. A test keeps the committed file equal to it.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Document, isMap, isPair, isScalar, isSeq } from 'yaml';
import { CONFIG_SCHEMA, inSchemaOrder, type ConfigFile } from './config-schema.ts';

/** Width of comment lines. */
const COMMENT_WIDTH = 96;

const HEADER = [
  'lwm2m-sms-bridge configuration: every key with its default.',
  'Generated from the schema (src/config/config-schema.ts) by `smsbridge config print-defaults`;',
  'check a file with `smsbridge config check <file>`.',
  'Only core.host and modems (name, path) are required; every other key may be left out.',
  'Secrets are never written here, only where to find them: `…Env` names an environment',
  'variable, `…File` a file (relative paths start at this file\'s folder).',
  'Units are in the key names: …Ms milliseconds, …Sec seconds, …PerSec per second, …Bytes bytes.',
];

/**
 * The configuration a file with only the required keys gives (their values from the schema's
 * `examples`): the schema's defaults everywhere else.
 */
export function configDefaults(): ConfigFile {
  return inSchemaOrder(CONFIG_SCHEMA, Value.Default(CONFIG_SCHEMA, requiredSkeleton(CONFIG_SCHEMA)) as ConfigFile);
}

/** `config/default.yaml`: {@link configDefaults} as YAML, each key preceded by its documentation. */
export function renderDefaultsYaml(): string {
  const document = new Document(configDefaults());
  document.commentBefore = HEADER.map((line) => ` ${line}`).join('\n');
  annotate(document.contents, CONFIG_SCHEMA, true);
  return document.toString({ lineWidth: 0 });
}

/** The required keys only, filled with the schema's first example. */
function requiredSkeleton(schema: TSchema): unknown {
  if (schema[Kind] === 'Object') {
    const result: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema['properties'] as Record<string, TSchema>)) {
      if ('default' in property) continue;
      const value = requiredSkeleton(property);
      if (value !== undefined) result[key] = value;
    }
    return result;
  }
  if (schema[Kind] === 'Array' && !('default' in schema)) return [requiredSkeleton(schema['items'] as TSchema)];
  return (schema['examples'] as unknown[] | undefined)?.[0];
}

function annotate(node: unknown, schema: TSchema, topLevel: boolean): void {
  if (isSeq(node)) {
    const items = schema['items'] as TSchema;
    if (node.items.every((item) => isScalar(item))) node.flow = true;
    for (const item of node.items) {
      annotate(item, items, false);
      // The first key's documentation goes above the `-` of its item.
      const first = isMap(item) ? item.items[0] : undefined;
      if (isMap(item) && isPair(first) && isScalar(first.key) && first.key.commentBefore) {
        item.commentBefore = first.key.commentBefore;
        first.key.commentBefore = undefined;
      }
    }
    return;
  }
  if (!isMap(node)) return;
  const properties = schema['properties'] as Record<string, TSchema>;
  for (const pair of node.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const property = properties[key];
    if (property === undefined) continue;
    const lines = [...wrap(documentation(key, property)), ...emptyListItems(key, property)];
    pair.key.commentBefore = lines.map((line) => ` ${line}`).join('\n');
    if (topLevel && pair !== node.items[0]) pair.key.spaceBefore = true;
    annotate(pair.value, property, false);
  }
}

/** `Description. [unit; default X]` or `[required]`. */
function documentation(key: string, schema: TSchema): string {
  const description = typeof schema['description'] === 'string' ? schema['description'] : '';
  const unit = /Ms$/.test(key) ? 'milliseconds' : /PerSec$/.test(key) ? 'per second' : /Sec$/.test(key) ? 'seconds' : /Bytes$/.test(key) ? 'bytes' : null;
  const isSection = schema[Kind] === 'Object' || (schema[Kind] === 'Array' && (schema['items'] as TSchema)[Kind] === 'Object');
  const facts = [
    ...(unit === null ? [] : [unit]),
    ...('default' in schema ? (isSection ? [] : [`default ${JSON.stringify(schema['default'])}`]) : ['required']),
  ];
  return facts.length === 0 ? description : `${description} [${facts.join('; ')}]`;
}

/**
 * A list of mappings that is empty by default shows no item keys, so its documentation lists
 * them (`  key: description`) and an example item.
 */
function emptyListItems(key: string, schema: TSchema): string[] {
  const items = schema['items'] as TSchema | undefined;
  if (schema[Kind] !== 'Array' || items?.[Kind] !== 'Object' || !Array.isArray(schema['default']) || schema['default'].length > 0) return [];
  const properties = Object.entries(items['properties'] as Record<string, TSchema>);
  const example = properties.map(([name, property]) => `${name}: ${JSON.stringify((property['examples'] as unknown[] | undefined)?.[0] ?? null)}`).join(', ');
  return [
    'Each item:',
    ...properties.flatMap(([name, property]) => wrap(`${name}: ${documentation(name, property)}`, COMMENT_WIDTH - 4).map((line, i) => `${i === 0 ? '  ' : '    '}${line}`)),
    'Example:',
    `  ${key}:`,
    `    - { ${example} }`,
  ];
}

function wrap(text: string, width = COMMENT_WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
