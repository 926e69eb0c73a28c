/**
 * How a command ends with exit code 1 when it has already printed its errors itself.
 */

/**
 * Thrown by a command that has already reported its failures in its own output (e.g.
 * `pdu decode -` printed an error object for each bad line): `runCli` exits 1 and prints nothing
 * more.
 */
export class ReportedFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportedFailure';
  }
}
