/**
 * A failure a command has already reported in its own output (e.g. `pdu decode -` printed an
 * error object for each bad line): `runCli` exits 1 without printing anything more.
 */
export class ReportedFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportedFailure';
  }
}
