import { describe, expect, it } from 'vitest';
import {
  AtLineFramer,
  DEFAULT_MAX_LINE_BYTES,
  type AtFrame,
  type AtLineFramerStats,
} from '../../../../src/modem/at/line-framer.ts';
import {
  byteChunks,
  bytes,
  frameChunks,
  randomChunks,
  randomInt,
  seededRandom,
} from './at-test-helpers.ts';

/**
 * Frames `transcript` whole, byte by byte and in 100 seeded random chunkings, asserts that all
 * give identical frames, stats and pending bytes, and returns the whole-input result.
 */
function frameEveryWay(transcript: string, maxLineBytes?: number): ReturnType<typeof frameChunks> {
  const data = bytes(transcript);
  const whole = frameChunks([data], maxLineBytes);
  expect(frameChunks(byteChunks(data), maxLineBytes)).toEqual(whole);
  for (let seed = 1; seed <= 100; seed++) {
    const chunks = randomChunks(data, seededRandom(seed));
    expect(frameChunks(chunks, maxLineBytes), `seed ${seed}`).toEqual(whole);
  }
  return whole;
}

const line = (text: string): AtFrame => ({ kind: 'line', text });
const PROMPT: AtFrame = { kind: 'prompt' };

// SMS-SUBMIT, 23 TPDU octets after the empty SMSC field: the classic "hellohello" example.
const SUBMIT_PDU = '0011000B916407281553F80000AA0AE8329BFD4697D9EC37';
// SMS-DELIVER: SMSC 07 91 13 26 04 00 00 F0 (not counted), then 23 TPDU octets:
// 04 first octet | 0B 91 6407281553F8 originator | 00 PID | 00 DCS | 99309251619580 SCTS |
// 04 UDL | D4F29C0E "Test" packed GSM 7-bit.
const DELIVER_PDU = '07911326040000F0040B916407281553F800009930925161958004D4F29C0E';

describe('AtLineFramer transcripts', () => {
  it('frames a SIM800 PDU send with echo on: command echo, prompt, PDU echo, +CMGS, OK', () => {
    const transcript =
      'AT+CMGS=23\r' + // echo of the command line, ended by S3 = CR (ATE1)
      '\r\n> ' + // TS 27.005 §3.5.1 prompt: CR LF '>' SP and NO line end
      SUBMIT_PDU + '\x1a' + // echo of the PDU and Ctrl-Z as typed by the TE
      '\r\n+CMGS: 12\r\n' + // TP-MR of the submitted message
      '\r\nOK\r\n';
    const { frames, stats, pendingBytes } = frameEveryWay(transcript);
    expect(frames).toEqual([
      line('AT+CMGS=23'),
      PROMPT,
      line(`${SUBMIT_PDU}\x1a`),
      line('+CMGS: 12'),
      line('OK'),
    ]);
    expect(stats).toEqual({ lines: 4, prompts: 1, nulBytes: 0, nonAsciiBytes: 0, overflows: 0 });
    expect(pendingBytes).toBe(0);
  });

  it('keeps a +CMTI that arrives between an EC25 response and its OK in order', () => {
    const transcript =
      'AT+CPMS?\r' + // echo
      '\r\n+CPMS: "SM",2,50,"SM",2,50,"SM",2,50\r\n' + // information response
      '\r\n+CMTI: "SM",3\r\n' + // URC slipped in before the final result
      '\r\nOK\r\n';
    expect(frameEveryWay(transcript).frames).toEqual([
      line('AT+CPMS?'),
      line('+CPMS: "SM",2,50,"SM",2,50,"SM",2,50'),
      line('+CMTI: "SM",3'),
      line('OK'),
    ]);
  });

  it('frames a PDU-mode +CMT header and the PDU line after it', () => {
    const transcript = '\r\n+CMT: ,23\r\n' + DELIVER_PDU + '\r\n';
    expect(frameEveryWay(transcript).frames).toEqual([line('+CMT: ,23'), line(DELIVER_PDU)]);
  });

  it('frames a Quectel boot sequence with ATV0 numeric results after it', () => {
    const transcript =
      '\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QIND: SMS DONE\r\n' +
      'ATV0\r0\r' + // after ATV0 the result is "0" CR, no leading CR LF (V.250 §5.7.1)
      'AT+CMGF=0\r0\r';
    expect(frameEveryWay(transcript).frames).toEqual([
      line('RDY'),
      line('+CFUN: 1'),
      line('+CPIN: READY'),
      line('+QIND: SMS DONE'),
      line('ATV0'),
      line('0'),
      line('AT+CMGF=0'),
      line('0'),
    ]);
  });
});

describe('AtLineFramer line ends', () => {
  it('completes a line at CR and ignores the LF of the same CRLF in the next push', () => {
    const framer = new AtLineFramer();
    expect(framer.push(bytes('OK\r'))).toEqual([line('OK')]);
    expect(framer.push(bytes('\n'))).toEqual([]);
    expect(framer.push(bytes('RI'))).toEqual([]);
    expect(framer.pendingBytes).toBe(2);
    expect(framer.push(bytes('NG\r'))).toEqual([line('RING')]);
    expect(framer.push(bytes('\nOK\n'))).toEqual([line('OK')]);
    expect(framer.stats.lines).toBe(3);
  });

  it('treats CR, LF, CRLF, LFCR and CRCR alike and drops empty lines', () => {
    for (const end of ['\r', '\n', '\r\n', '\n\r', '\r\r', '\r\r\n\n']) {
      const { frames, stats } = frameEveryWay(`\r\n${end}A${end}B${end}${end}`);
      expect(frames, JSON.stringify(end)).toEqual([line('A'), line('B')]);
      expect(stats.lines).toBe(2);
    }
  });

  it('returns no frames for an empty chunk or only line ends', () => {
    const framer = new AtLineFramer();
    expect(framer.push(new Uint8Array(0))).toEqual([]);
    expect(framer.push(bytes('\r\n\r\n\n\r'))).toEqual([]);
    expect(framer.stats.lines).toBe(0);
  });
});

describe('AtLineFramer SMS prompt', () => {
  it('emits the prompt as soon as its space arrives, even split over two pushes', () => {
    const framer = new AtLineFramer();
    expect(framer.push(bytes('\r\n>'))).toEqual([]);
    expect(framer.push(bytes(' '))).toEqual([PROMPT]);
    expect(framer.pendingBytes).toBe(0);
  });

  it('only recognises "> " at the start of a line', () => {
    const { frames } = frameEveryWay('a> \r\n>\r\n>> \r\n> > x\r\n');
    expect(frames).toEqual([line('a> '), line('>'), line('>> '), PROMPT, PROMPT, line('x')]);
  });

  it('sees the prompt through NUL bytes and with a one-byte line limit', () => {
    expect(frameEveryWay('\0>\0 ').frames).toEqual([PROMPT]);
    expect(frameEveryWay('> ', 1).frames).toEqual([PROMPT]);
  });
});

describe('AtLineFramer garbage', () => {
  it('drops and counts NUL bytes, which do not count towards the line length', () => {
    const { frames, stats } = frameEveryWay('\0\0O\0K\0\r\n' + '\0'.repeat(10) + '12345678\r', 8);
    expect(frames).toEqual([line('OK'), line('12345678')]);
    expect(stats.nulBytes).toBe(14);
  });

  it('discards a 10,000-byte garbage line and resynchronises at the next line end', () => {
    const random = seededRandom(42);
    let garbage = '';
    while (garbage.length < 10_000) {
      const byte = randomInt(random, 1, 255);
      if (byte !== 0x0d && byte !== 0x0a) garbage += String.fromCharCode(byte);
    }
    const nonAscii = [...garbage].filter((c) => c.charCodeAt(0) >= 0x80).length;
    const { frames, stats } = frameEveryWay(`AT+CMGL=4\r${garbage}\r\n+CMGL: 1,0,,23\r\nOK\r\n`);
    expect(frames).toEqual([
      line('AT+CMGL=4'),
      { kind: 'overflow', droppedBytes: 10_000 },
      line('+CMGL: 1,0,,23'),
      line('OK'),
    ]);
    expect(stats).toEqual({
      lines: 3, prompts: 0, nulBytes: 0, nonAsciiBytes: nonAscii, overflows: 1,
    });
    expect(nonAscii).toBeGreaterThan(4000);
  });

  it('holds no more than maxLineBytes while a line end is missing', () => {
    const framer = new AtLineFramer({ maxLineBytes: 64 });
    expect(framer.push(bytes('x'.repeat(64)))).toEqual([]);
    expect(framer.pendingBytes).toBe(64);
    expect(framer.push(bytes('x'.repeat(100_000)))).toEqual([]);
    expect(framer.pendingBytes).toBe(0);
    expect(framer.push(bytes('\r\n'))).toEqual([{ kind: 'overflow', droppedBytes: 100_064 }]);
  });

  it('keeps a line of exactly maxLineBytes and cuts one byte more', () => {
    const { frames } = frameEveryWay(`${'a'.repeat(16)}\r\n${'b'.repeat(17)}\r\nOK\r\n`, 16);
    expect(frames).toEqual([
      line('a'.repeat(16)),
      { kind: 'overflow', droppedBytes: 17 },
      line('OK'),
    ]);
    expect(DEFAULT_MAX_LINE_BYTES).toBe(4096);
    expect(frameEveryWay(`${'c'.repeat(4096)}\r${'d'.repeat(4097)}\n`).frames).toEqual([
      line('c'.repeat(4096)),
      { kind: 'overflow', droppedBytes: 4097 },
    ]);
  });

  it('keeps bytes >= 0x80 as latin1 code points, 0x80..0x9F included, and counts them', () => {
    const { frames, stats } = frameEveryWay('+CMGR: "REC READ","\xc4\xd6\xdc"\r\n\x80\x9f\xff\r\n');
    expect(frames).toEqual([line('+CMGR: "REC READ","ÄÖÜ"'), line('\u0080\u009f\u00ff')]);
    expect(stats.nonAsciiBytes).toBe(6);
  });
});

describe('AtLineFramer API', () => {
  it('rejects a maxLineBytes that is not a positive integer', () => {
    for (const maxLineBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new AtLineFramer({ maxLineBytes }), String(maxLineBytes)).toThrow(RangeError);
    }
  });

  it('returns frozen stats snapshots that later pushes do not change', () => {
    const framer = new AtLineFramer();
    const before = framer.stats;
    framer.push(bytes('OK\r\n'));
    expect(Object.isFrozen(before)).toBe(true);
    expect(before.lines).toBe(0);
    expect(framer.stats.lines).toBe(1);
  });

  it('reset() forgets the unfinished and the overlong line but keeps the counters', () => {
    const framer = new AtLineFramer({ maxLineBytes: 4 });
    framer.push(bytes('OK\r\n+CM'));
    framer.reset();
    expect(framer.pendingBytes).toBe(0);
    expect(framer.push(bytes('OK\r\n'))).toEqual([line('OK')]);
    framer.push(bytes('xxxxxxxx'));
    framer.reset();
    expect(framer.push(bytes('OK\r\n'))).toEqual([line('OK')]);
    expect(framer.stats).toEqual({
      lines: 3, prompts: 0, nulBytes: 0, nonAsciiBytes: 0, overflows: 0,
    });
  });

  it('does not keep a reference to the caller chunk', () => {
    const framer = new AtLineFramer();
    const chunk = bytes('AB');
    framer.push(chunk);
    chunk.fill(0x5a);
    expect(framer.push(bytes('\r'))).toEqual([line('AB')]);
  });
});

/**
 * Independent model of the framing rules, written with string operations: remove NULs, split at
 * every CR/LF, strip leading "> " prompts of each piece, and emit the rest as a line (or an
 * overflow when longer than the limit) unless it is the unterminated last piece.
 */
function modelFrames(input: string, max: number): { frames: AtFrame[]; stats: AtLineFramerStats } {
  const frames: AtFrame[] = [];
  const clean = input.replaceAll('\0', '');
  const pieces = clean.split(/[\r\n]/);
  pieces.forEach((piece, i) => {
    let rest = piece;
    while (rest.startsWith('> ')) {
      frames.push(PROMPT);
      rest = rest.slice(2);
    }
    if (i === pieces.length - 1 || rest === '') return;
    frames.push(rest.length > max ? { kind: 'overflow', droppedBytes: rest.length } : line(rest));
  });
  const count = (kind: AtFrame['kind']): number => frames.filter((f) => f.kind === kind).length;
  return {
    frames,
    stats: {
      lines: count('line'),
      prompts: count('prompt'),
      nulBytes: input.length - clean.length,
      nonAsciiBytes: [...clean].filter((c) => c.charCodeAt(0) >= 0x80).length,
      overflows: count('overflow'),
    },
  };
}

describe('AtLineFramer against a model', () => {
  it('matches the string model on 3,000 random inputs in random chunkings', () => {
    const alphabet = ['a', 'Z', '0', '>', ' ', '\r', '\n', '\0', '\xe9', '\x80', '"', ','];
    const random = seededRandom(7);
    let overflows = 0;
    let prompts = 0;
    for (let n = 0; n < 3000; n++) {
      let input = '';
      const length = randomInt(random, 0, 60);
      for (let i = 0; i < length; i++) input += alphabet[randomInt(random, 0, alphabet.length - 1)];
      const expected = modelFrames(input, 8);
      const actual = frameChunks(randomChunks(bytes(input), random, 7), 8);
      expect(actual.frames, JSON.stringify(input)).toEqual(expected.frames);
      expect(actual.stats, JSON.stringify(input)).toEqual(expected.stats);
      overflows += expected.stats.overflows;
      prompts += expected.stats.prompts;
    }
    // The alphabet must actually exercise the prompt and overflow rules.
    expect(overflows).toBeGreaterThan(100);
    expect(prompts).toBeGreaterThan(100);
  });

  it('never throws on arbitrary binary input', () => {
    const random = seededRandom(99);
    const framer = new AtLineFramer({ maxLineBytes: 32 });
    for (let n = 0; n < 2000; n++) {
      const chunk = new Uint8Array(randomInt(random, 0, 64));
      for (let i = 0; i < chunk.length; i++) chunk[i] = randomInt(random, 0, 255);
      for (const frame of framer.push(chunk)) {
        if (frame.kind === 'line') {
          expect(frame.text).not.toMatch(/[\r\n\0]/);
          expect(frame.text.length).toBeLessThanOrEqual(32);
        }
      }
    }
  });
});
