/**
 * Line framing for the simulated network's sockets: UTF-8 text, one message per LF-terminated
 * line, bounded length.
 */
import type { Socket } from 'node:net';

/**
 * Calls `onLine` for each complete line read from `socket`. A line longer than `maxLineBytes`
 * calls `onOverflow` and closes the socket (the peer is not speaking the protocol).
 * Returns a function that stops reading.
 */
export function readLines(socket: Socket, maxLineBytes: number, onLine: (line: string) => void, onOverflow: () => void): () => void {
  let buffer = '';
  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString('utf8');
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line.length > 0) onLine(line);
      newline = buffer.indexOf('\n');
    }
    if (buffer.length > maxLineBytes) {
      buffer = '';
      onOverflow();
      socket.destroy();
    }
  };
  socket.on('data', onData);
  return () => socket.off('data', onData);
}
