/**
 * `host:port` options of the CLI.
 */
import { GatewayError } from '../shared/errors.ts';

/** Parses `host:port` (port 0..65535). Raises GW_ERR_CONFIG naming `option` otherwise. */
export function parseHostPort(text: string, option: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new GatewayError('GW_ERR_CONFIG', `${option}: "${text}" is not host:port`, { option });
  return { host: (match[1] ?? '').replace(/^\[|\]$/g, ''), port };
}
