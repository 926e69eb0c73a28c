/**
 * Glob patterns for names and numbers in the configuration (endpoint patterns of the UDP
 * admission policy and of device groups): one matcher, bounded by text × glob steps, never a regular
 * expression built from configuration text.
 */

/**
 * True when `text` matches `glob`: `*` any run of characters (also none), `?` one character,
 * everything else literal. The classic wildcard walk that backtracks only to the last `*`: at
 * most `text.length × glob.length` steps whatever the input (a regular expression with several
 * `.*` would backtrack polynomially).
 */
export function matchGlob(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === '?' || (glob[g] !== '*' && glob[g] === text[t]))) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else return false;
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}
