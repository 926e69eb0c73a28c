/**
 * Host names and addresses in the configuration: an IPv4 or IPv6 address, or a DNS host name
 * (RFC 1123 §2.1: letters, digits and hyphens; labels of 1..63 characters, not starting or
 * ending with a hyphen; at most 253 characters in all). Names are resolved by whoever connects.
 */
import { isIP } from 'node:net';

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MAX_HOST_NAME_CHARS = 253;

/** Null when `host` is an IP address or a valid host name; otherwise what is wrong with it. */
export function hostProblem(host: string): string | null {
  if (isIP(host) !== 0) return null;
  if (host.length === 0) return 'is empty';
  if (host.length > MAX_HOST_NAME_CHARS) return `is longer than ${MAX_HOST_NAME_CHARS} characters`;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (!name.split('.').every((label) => LABEL.test(label))) return 'is neither an IP address nor a host name';
  // A name of digits and dots only would be a malformed IPv4 address, not a name.
  if (/^[0-9.]+$/.test(name)) return 'is not a valid IPv4 address';
  return null;
}
