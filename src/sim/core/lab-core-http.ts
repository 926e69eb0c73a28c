/**
 * An HTTP JSON API over a {@link LabCore}, for people (curl) and scripts (node:http, no
 * framework). Routes:
 *
 * | route | answer |
 * |---|---|
 * | `GET /clients` | `{ "clients": [client, …] }` |
 * | `GET /clients/<ep>` | the client, or 404 |
 * | `POST /clients/<ep>/read?path=/3/0[&accept=11542]` | the response (below) |
 * | `POST /clients/<ep>/write?path=/1/0/1[&contentFormat=0][&partial=1][&hex=1]` | body = payload |
 * | `POST /clients/<ep>/execute?path=/1/0/8` | body = arguments (text/plain), may be empty |
 * | `GET /stats` | the core's counters |
 *
 * A client is {@link LabCoreClient} as JSON. A response is `{ code, contentFormat, payloadHex,
 * payloadText }` (`payloadText` null unless the payload is UTF-8). Every request route also takes
 * `timeoutMs`. A Write's Content-Format comes from the query `contentFormat`, else the header
 * `Content-Format` (a number), else a known `Content-Type` (text/plain, application/octet-stream,
 * application/vnd.oma.lwm2m+tlv, …); with `hex=1` the body is hexadecimal text.
 *
 * Errors are `{ "error": { code?, message, … } }` with status 400 (bad path or parameter), 404
 * (unknown client or route), 405, 413 (body over 64 KiB), 502 (the client sent a Reset), 503
 * (stopped) or 504 (timeout).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ContentFormat } from '../../lwm2m/index.ts';
import { GatewayError } from '../../shared/errors.ts';
import { bytesToHex, hexToBytes } from '../../shared/hex.ts';
import type { LabCore } from './lab-core.ts';
import { LabCoreRequestError, type LabCoreFailure } from './lab-core-errors.ts';
import type { LabCoreResponse } from './lwm2m-request.ts';

/** Options of {@link LabCoreHttpApi.start}. */
export interface LabCoreHttpApiOptions {
  /** Address to bind. @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** TCP port; 0 picks a free one. @defaultValue 0 */
  readonly port?: number;
}

/** Largest request body accepted, bytes. */
export const MAX_HTTP_BODY_BYTES = 64 * 1024;

/** Content-Type → CoAP Content-Format, for Write bodies (CoAP Content-Formats registry). */
const CONTENT_TYPES: Readonly<Record<string, number>> = Object.freeze({
  'text/plain': ContentFormat.TEXT_PLAIN,
  'application/link-format': ContentFormat.LINK_FORMAT,
  'application/octet-stream': ContentFormat.OCTET_STREAM,
  'application/json': ContentFormat.JSON,
  'application/cbor': ContentFormat.CBOR,
  'application/senml+json': ContentFormat.SENML_JSON,
  'application/senml+cbor': ContentFormat.SENML_CBOR,
  'application/vnd.oma.lwm2m+tlv': ContentFormat.LWM2M_TLV,
  'application/vnd.oma.lwm2m+json': ContentFormat.LWM2M_JSON,
  'application/vnd.oma.lwm2m+cbor': ContentFormat.LWM2M_CBOR,
});

const FAILURE_STATUS: Readonly<Record<LabCoreFailure, number>> = Object.freeze({
  'bad-request': 400,
  'unknown-client': 404,
  timeout: 504,
  reset: 502,
  stopped: 503,
});

/** An HTTP answer that ends request handling early. */
class HttpFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The JSON form of a {@link LabCoreResponse}. */
export function responseJson(response: LabCoreResponse): Record<string, unknown> {
  let payloadText: string | null;
  try {
    payloadText = new TextDecoder('utf-8', { fatal: true }).decode(response.payload);
  } catch {
    payloadText = null;
  }
  return { code: response.code, contentFormat: response.contentFormat, payloadHex: bytesToHex(response.payload), payloadText };
}

/**
 * A running HTTP API. It does not own the core: {@link stop} closes the HTTP server only.
 */
export class LabCoreHttpApi {
  private constructor(private readonly server: Server, private readonly core: LabCore) {
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      this.handle(request, response).catch((error: unknown) => send(response, 500, { error: { code: 'GW_ERR_INTERNAL', message: String(error) } }));
    });
  }

  /** Starts listening. Rejects with `GW_ERR_SIM_UNAVAILABLE` when the address cannot be bound. */
  static async start(core: LabCore, options: LabCoreHttpApiOptions = {}): Promise<LabCoreHttpApi> {
    const server = createServer();
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new GatewayError('GW_ERR_SIM_UNAVAILABLE', `HTTP API cannot listen on ${host}:${options.port ?? 0}: ${error.message}`)));
      server.listen(options.port ?? 0, host, () => resolve());
    });
    return new LabCoreHttpApi(server, core);
  }

  /** Where the API listens. */
  get address(): { host: string; port: number } {
    const address = this.server.address();
    if (address === null || typeof address === 'string') return { host: '127.0.0.1', port: 0 };
    return { host: address.address, port: address.port };
  }

  /** Closes the server and its connections. Idempotent. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://lab-core');
    const method = request.method ?? 'GET';
    try {
      const parts = url.pathname.split('/').slice(1).map(decodePathPart);
      if (parts.length === 1 && parts[0] === 'stats') {
        expectMethod(method, 'GET');
        send(response, 200, this.core.stats);
      } else if (parts[0] === 'clients' && parts.length === 1) {
        expectMethod(method, 'GET');
        send(response, 200, { clients: this.core.clients() });
      } else if (parts[0] === 'clients' && parts.length === 2) {
        expectMethod(method, 'GET');
        const client = this.core.client(parts[1] ?? '');
        if (client === null) throw new HttpFailure(404, `no client "${parts[1] ?? ''}" is registered`);
        send(response, 200, client);
      } else if (parts[0] === 'clients' && parts.length === 3) {
        expectMethod(method, 'POST');
        send(response, 200, responseJson(await this.operate(parts[1] ?? '', parts[2] ?? '', url.searchParams, request)));
      } else {
        throw new HttpFailure(404, `no route ${method} ${url.pathname}`);
      }
    } catch (error) {
      if (error instanceof HttpFailure) send(response, error.status, { error: { message: error.message } });
      else if (error instanceof LabCoreRequestError) send(response, FAILURE_STATUS[error.failure], { error: error.toJSON() });
      else if (error instanceof GatewayError) send(response, 400, { error: error.toJSON() });
      else throw error;
    }
  }

  private async operate(endpoint: string, operation: string, query: URLSearchParams, request: IncomingMessage): Promise<LabCoreResponse> {
    if (!['read', 'write', 'execute'].includes(operation)) throw new HttpFailure(404, `no operation "${operation}" (read, write, execute)`);
    const path = query.get('path');
    if (path === null) throw new HttpFailure(400, 'the query needs path=/object[/instance[/resource]]');
    const timeoutMs = optionalNumber(query, 'timeoutMs');
    const body = await readBody(request);
    if (operation === 'read') return this.core.read(endpoint, path, { timeoutMs, accept: optionalNumber(query, 'accept') });
    if (operation === 'execute') return this.core.execute(endpoint, path, body.toString('utf8'), { timeoutMs });
    const format = optionalNumber(query, 'contentFormat') ?? headerContentFormat(request);
    if (format === undefined) {
      throw new HttpFailure(400, 'a write needs a Content-Format: query contentFormat=<n>, header Content-Format: <n>, or a known Content-Type');
    }
    let payload: Uint8Array = body;
    if (query.get('hex') === '1') {
      const bytes = hexToBytes(body.toString('latin1').replace(/\s+/g, ''));
      if (bytes === null) throw new HttpFailure(400, 'hex=1: the body is not hexadecimal text');
      payload = bytes;
    }
    return this.core.write(endpoint, path, payload, format, { timeoutMs, partial: query.get('partial') === '1' });
  }
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpFailure(400, `"${part}" is not a percent-encoded path segment`);
  }
}

function expectMethod(actual: string, expected: string): void {
  if (actual !== expected) throw new HttpFailure(405, `use ${expected}`);
}

function optionalNumber(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (!/^[0-9]{1,10}$/.test(text)) throw new HttpFailure(400, `${name}: "${text}" is not a non-negative integer`);
  return Number(text);
}

function headerContentFormat(request: IncomingMessage): number | undefined {
  const header = request.headers['content-format'];
  if (typeof header === 'string') {
    if (!/^[0-9]{1,5}$/.test(header.trim())) throw new HttpFailure(400, `Content-Format: "${header}" is not a number`);
    return Number(header.trim());
  }
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return type === undefined ? undefined : CONTENT_TYPES[type];
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_HTTP_BODY_BYTES) throw new HttpFailure(413, `the body exceeds ${MAX_HTTP_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
