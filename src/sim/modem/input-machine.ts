/**
 * The DCE's input state machine, byte by byte. Two states:
 *
 *   command ── S3 (CR) ──► line(text)          V.250 §5.2.1: the line ends at S3; LF, NUL,
 *      ▲                                        Ctrl-Z and ESC are ignored; S5 (BS) edits;
 *      │                                        `A/` repeats the last line at once (§6.2.4)
 *      └── Ctrl-Z / ESC ── prompt ◄── enterPrompt()
 *                                    TS 27.005 §3.5.1: after `> ` the host sends PDU hex (or
 *                                    text) with no line end, then Ctrl-Z (0x1A) to send or
 *                                    ESC (0x1B) to abort. Text mode: CR starts a new line
 *                                    with a new prompt.
 *
 * Echo (`ATE1`) is per byte as received, the prompt data included. Pure: no I/O, no timers.
 */

const NUL = 0x00;
const LF = 0x0a;
const CTRL_Z = 0x1a;
const ESC = 0x1b;

/** Where the machine reports what it recognised. */
export interface InputCallbacks {
  /** Characters to echo (only called while echo is on). */
  echo(chars: string): void;
  /** A command line ended by S3; `overflow` when it was longer than the limit (answer `ERROR`). */
  line(text: string, overflow: boolean): void;
  /** `A/` was typed: repeat the last command line. */
  repeat(): void;
  /** Ctrl-Z (`aborted` false) or ESC (`aborted` true) ended the prompt data. */
  promptEnd(data: string, aborted: boolean): void;
  /** Text mode: CR inside the message; the DCE answers with a new prompt. */
  promptNewline(): void;
}

/** Current V.250 settings the machine depends on. */
export interface InputSettings {
  readonly echo: boolean;
  /** S3 command line termination character. */
  readonly s3: number;
  /** S5 command line editing (backspace) character. */
  readonly s5: number;
  readonly maxLineChars: number;
}

/** Longest prompt data kept (a PDU is at most 2 × 176 hex digits; text mode 160 characters). */
const MAX_PROMPT_CHARS = 4096;

/** The input state machine of one DCE. */
export class InputMachine {
  readonly #settings: () => InputSettings;
  readonly #callbacks: InputCallbacks;
  #line = '';
  #lineOverflow = false;
  #prompt: 'pdu' | 'text' | null = null;
  #data = '';
  #dataOverflow = false;

  /** @param settings - read at every byte, so `ATE0` or `ATS3=` apply from the next byte on. */
  constructor(settings: () => InputSettings, callbacks: InputCallbacks) {
    this.#settings = settings;
    this.#callbacks = callbacks;
  }

  /** True while a command line or prompt data is partly typed (a URC now would split it). */
  get partial(): boolean {
    return this.#prompt === null ? this.#line.length > 0 || this.#lineOverflow : this.#data.length > 0;
  }

  /** True while the `> ` prompt waits for data. */
  get inPrompt(): boolean {
    return this.#prompt !== null;
  }

  /** Switches to prompt data input (after `AT+CMGS=<n>` answered `> `). */
  enterPrompt(mode: 'pdu' | 'text'): void {
    this.#prompt = mode;
    this.#data = '';
    this.#dataOverflow = false;
  }

  /** Forgets partial input and leaves the prompt (reboot, replug). */
  reset(): void {
    this.#line = '';
    this.#lineOverflow = false;
    this.#prompt = null;
    this.#data = '';
    this.#dataOverflow = false;
  }

  /** Processes one received byte. */
  push(byte: number): void {
    if (this.#prompt === null) this.#commandByte(byte);
    else this.#promptByte(byte, this.#prompt);
  }

  #echo(byte: number): void {
    if (this.#settings().echo) this.#callbacks.echo(String.fromCharCode(byte));
  }

  #commandByte(byte: number): void {
    const settings = this.#settings();
    if (byte === NUL || byte === LF || byte === CTRL_Z || byte === ESC) return;
    if (byte === settings.s3) {
      this.#echo(byte);
      const line = this.#line;
      const overflow = this.#lineOverflow;
      this.#line = '';
      this.#lineOverflow = false;
      this.#callbacks.line(line, overflow);
      return;
    }
    if (byte === settings.s5) {
      if (this.#line.length > 0) {
        this.#line = this.#line.slice(0, -1);
        this.#echo(byte);
      }
      return;
    }
    this.#echo(byte);
    if (this.#line.length >= settings.maxLineChars) {
      this.#lineOverflow = true;
      return;
    }
    this.#line += String.fromCharCode(byte);
    if (this.#line.length === 2 && this.#line.toUpperCase() === 'A/') {
      this.#line = '';
      this.#callbacks.repeat();
    }
  }

  #promptByte(byte: number, mode: 'pdu' | 'text'): void {
    const settings = this.#settings();
    if (byte === CTRL_Z || byte === ESC) {
      // Over-long data gets a NUL appended: it can then neither parse as hex nor encode as text.
      const data = this.#dataOverflow ? `${this.#data}\u0000` : this.#data;
      this.#prompt = null;
      this.#data = '';
      this.#dataOverflow = false;
      this.#callbacks.promptEnd(data, byte === ESC);
      return;
    }
    if (byte === NUL || byte === LF) return;
    if (byte === settings.s3) {
      if (mode === 'text') {
        this.#data += '\n';
        this.#callbacks.promptNewline();
      }
      return;
    }
    if (byte === settings.s5) {
      if (this.#data.length > 0) {
        this.#data = this.#data.slice(0, -1);
        this.#echo(byte);
      }
      return;
    }
    this.#echo(byte);
    if (this.#data.length < MAX_PROMPT_CHARS) this.#data += String.fromCharCode(byte);
    else this.#dataOverflow = true;
  }
}
