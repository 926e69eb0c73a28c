/**
 * Masks secrets of AT commands before they reach a log: the SIM PIN and PUK (`AT+CPIN`,
 * `AT+CPIN2`, 3GPP TS 27.007 §8.3), facility passwords (`AT+CLCK`, §7.4) and password changes
 * (`AT+CPWD`, §7.5), wherever they appear in a line (a trace line, or an error message that
 * quotes the command). Pure and linear in the line length.
 */

/** What replaces a secret. */
export const REDACTED = '***';

/**
 * A PIN/lock/password command and its comma-separated parameters, each quoted (an unterminated
 * quote runs to the end: a truncated line still hides its PIN) or bare.
 */
const SECRET_COMMAND = /(AT\s*\+\s*(CPIN2?|CLCK|CPWD)\s*=)((?:"[^"]*"?|[^\s,"]*)(?:,(?:"[^"]*"?|[^\s,"]*))*)/gi;

/** Which parameters (0-based) of each command are secrets. */
function isSecret(command: string, index: number): boolean {
  switch (command.toUpperCase()) {
    case 'CLCK':
      return index === 2; // AT+CLCK=<fac>,<mode>[,<passwd>[,<class>]]
    case 'CPWD':
      return index === 1 || index === 2; // AT+CPWD=<fac>,<oldpwd>,<newpwd>
    default:
      return true; // AT+CPIN=<pin>[,<newpin>]: PIN, or PUK and new PIN
  }
}

/**
 * Returns `line` with the secrets of every PIN, lock or password command replaced by
 * {@link REDACTED}. Other text (including `AT+CPIN?` and its `+CPIN: READY` answer) is unchanged.
 */
export function redactAtLine(line: string): string {
  return line.replace(SECRET_COMMAND, (_match, head: string, command: string, parameters: string) =>
    `${head}${parameters
      .split(',')
      .map((parameter, index) => {
        if (!isSecret(command, index) || parameter.length === 0) return parameter;
        return parameter.startsWith('"') ? `"${REDACTED}"` : REDACTED;
      })
      .join(',')}`,
  );
}
