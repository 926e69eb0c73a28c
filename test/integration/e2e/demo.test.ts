/**
 * The README's first command: `smsbridge demo` runs the whole lab and ends with a summary.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../../support/smsbridge-cli.ts';

describe('smsbridge demo', () => {
  it('runs the gateway with simulated modems and devices and prints a summary', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--duration', '12', '--read-interval-ms', '1000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(exitCode).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(stdout).toContain('meter-sms-only');
    expect(stdout).toContain('tracker-uqs');
    const summary = (JSON.parse(lines.at(-1) ?? '{}') as { summary: Record<string, number> }).summary;
    expect(summary.registrations).toBeGreaterThanOrEqual(4);
    expect(summary.requestsAnswered).toBeGreaterThan(0);
    expect(summary.smsSentByGateway).toBeGreaterThan(0);
    expect(summary.smsReceivedByGateway).toBeGreaterThan(0);
  }, 60_000);
});
