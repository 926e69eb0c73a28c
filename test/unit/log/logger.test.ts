import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger, formatPrettyLine, installFaultHandlers } from '../../../src/log/index.ts';

function capture(pretty = false) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', pretty, destination: { write: (text) => lines.push(...text.split('\n').filter((l) => l.length > 0)) } });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, time, msg and the modem/device fields of child loggers', () => {
    const { logger, lines } = capture();
    logger.child({ modem: 'modem-1' }).child({ device: 'meter-7' }).info({ reason: 'no-route' }, 'dropped');
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', modem: 'modem-1', device: 'meter-7', reason: 'no-route', msg: 'dropped' });
    expect(typeof record.time).toBe('number');
  });

  it('censors pin, password, token and authorization fields at any of the first levels', () => {
    const { logger, lines } = capture();
    logger.info({ pin: '1234', config: { redis: { password: 's3cret' }, modems: [{ name: 'a', pin: '4321' }] }, headers: { authorization: 'Bearer abc' }, token: 'tkn' }, 'config');
    expect(lines[0]).not.toMatch(/1234|s3cret|4321|Bearer abc|tkn/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ pin: '***', config: { modems: [{ name: 'a', pin: '***' }] } });
  });

  it('prints short human lines when pretty', () => {
    const { logger, lines } = capture(true);
    logger.child({ modem: 'modem-1' }).warn({ attempt: 3 }, 'redis unreachable');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  \[modem-1\] redis unreachable attempt=3$/);
    expect(formatPrettyLine('not json')).toBe('not json');
  });
});

describe('installFaultHandlers', () => {
  it('logs and counts unhandled rejections and uncaught exceptions, and uninstalls', () => {
    const source = new EventEmitter();
    const { logger, lines } = capture();
    const handlers = installFaultHandlers(source, logger);
    source.emit('unhandledRejection', new Error('lost promise'));
    source.emit('uncaughtException', new Error('thrown'));
    expect(handlers.counters).toEqual({ unhandledRejections: 1, uncaughtExceptions: 1 });
    expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['error', 'fatal']);
    expect(lines[0]).toContain('lost promise');
    handlers.uninstall();
    expect(source.listenerCount('unhandledRejection') + source.listenerCount('uncaughtException')).toBe(0);
  });
});
