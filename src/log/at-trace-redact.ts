/**
 * Masks secrets in AT command trace lines before they reach a log: the SIM PIN and PUK
 * (`AT+CPIN`, 3GPP TS 27.007 §8.3), facility passwords (`AT+CLCK`, §7.4) and password changes
 * (`AT+CPWD`, §7.5). Pure and linear in the line length.
 */

/** What replaces a secret in a trace line. */
export const REDACTED = '***';

/** `AT+CPIN=` / `AT+CPIN2=`: every parameter is a secret (PIN, or PUK and new PIN). */
const ALL_PARAMETERS = /^(\s*AT\s*\+\s*CPIN2?\s*=)(.*)$/i;
/** `AT+CLCK=<fac>,<mode>[,<passwd>[,<class>]]`: the third parameter. */
const CLCK = /^(\s*AT\s*\+\s*CLCK\s*=)(.*)$/i;
/** `AT+CPWD=<fac>,<oldpwd>,<newpwd>`: the second and third parameters. */
const CPWD = /^(\s*AT\s*\+\s*CPWD\s*=)(.*)$/i;

/**
 * Returns `line` with the secrets of a PIN, lock or password command replaced by {@link REDACTED}.
 * Other lines (including `AT+CPIN?` and its `+CPIN: READY` answer) come back unchanged.
 */
export function redactAtLine(line: string): string {
  const all = ALL_PARAMETERS.exec(line);
  if (all !== null) return `${all[1]}${maskParameters(all[2] ?? '', () => true)}`;
  const clck = CLCK.exec(line);
  if (clck !== null) return `${clck[1]}${maskParameters(clck[2] ?? '', (index) => index === 2)}`;
  const cpwd = CPWD.exec(line);
  if (cpwd !== null) return `${cpwd[1]}${maskParameters(cpwd[2] ?? '', (index) => index === 1 || index === 2)}`;
  return line;
}

/** Splits on commas (quoted or not) and masks the parameters `secret(index)` selects. */
function maskParameters(parameters: string, secret: (index: number) => boolean): string {
  return parameters
    .split(',')
    .map((parameter, index) => {
      if (!secret(index) || parameter.trim().length === 0) return parameter;
      return parameter.trim().startsWith('"') ? `"${REDACTED}"` : REDACTED;
    })
    .join(',');
}
