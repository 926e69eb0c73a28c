/**
 * PtyLink: the socat-made pseudo-terminal under the simulated modem.
 */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PtyLink } from '../../../src/sim/modem/pty-link.ts';
import { HostPort, tempDir } from './host-port.ts';
import { exists } from './fixture.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function linkPath(): Promise<string> {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  return join(dir.path, 'tty');
}

describe('PtyLink', () => {
  it('relays bytes both ways between the host port and the link object', async () => {
    const link = await PtyLink.open(await linkPath());
    cleanups.push(() => link.close());
    const host = await HostPort.open(link.linkPath);
    cleanups.push(() => host.close());
    const received = link.next('data');
    await host.write('AT\r');
    expect((await received)[0].toString('latin1')).toBe('AT\r');
    link.write(Buffer.from('\r\nOK\r\n'));
    expect(await host.waitFor('OK\r\n')).toBe('\r\nOK\r\n');
  });

  it('replaces a stale link left by a crashed run and removes its own on close', async () => {
    const path = await linkPath();
    await symlink('/dev/null', path);
    const link = await PtyLink.open(path);
    const host = await HostPort.open(path);
    link.write(Buffer.from('hello'));
    expect(await host.waitFor('hello')).toBe('hello');
    await host.close();
    await link.close();
    await link.close();
    expect(await exists(path)).toBe(false);
    await expect(link.replug()).rejects.toMatchObject({ code: 'GW_ERR_INTERNAL' });
  });

  it('fails with GW_ERR_SIM_UNAVAILABLE when socat is missing or cannot create the link', async () => {
    await expect(PtyLink.open(await linkPath(), { socatPath: '/nonexistent/socat' })).rejects.toMatchObject({ code: 'GW_ERR_SIM_UNAVAILABLE' });
    await expect(PtyLink.open('/nonexistent-dir/tty', { readyTimeoutMs: 2000 })).rejects.toMatchObject({ code: 'GW_ERR_SIM_UNAVAILABLE' });
  });

  it('drops writes while unplugged and reports a socat killed from outside as lost', async () => {
    const link = await PtyLink.open(await linkPath());
    cleanups.push(() => link.close());
    await link.unplug();
    expect(link.plugged).toBe(false);
    link.write(Buffer.from('into the void'));
    await link.replug();
    await link.replug();
    expect(link.plugged).toBe(true);
    const lost = link.next('lost');
    const pid = link.pid;
    if (pid === null || pid <= 0) throw new Error('no socat pid');
    process.kill(pid, 'SIGKILL');
    await lost;
    expect(link.plugged).toBe(false);
  });
});
