/**
 * UDP ports held by another process (a device whose recorded core-facing address another
 * program took): the gateway's bind of them fails with EADDRINUSE until the holder ends.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Binds UDP sockets on `host`:`ports` in a child process; resolves once all are bound, with a
 * function that ends the process (and so frees the ports). Rejects when the child fails or exits
 * first. The caller registers the function as a cleanup too (ending it twice is harmless).
 */
export async function holdPortsElsewhere(host: string, ports: readonly number[]): Promise<() => Promise<void>> {
  const script = `const d=require('node:dgram');let n=${ports.length};for(const p of ${JSON.stringify(ports)}){const s=d.createSocket('udp4');s.bind(p,'${host}',()=>{if(--n===0)console.log('bound')});}process.stdin.on('end',()=>process.exit(0));process.stdin.resume();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => (line === 'bound' ? resolve() : reject(new Error(line))));
    child.once('exit', (code) => reject(new Error(`the port holder exited with ${code}`)));
  });
  return async () => {
    child.stdin.end();
    await exited;
  };
}
