/**
 * Defaults shared by the admin API's server side (the config schema) and its CLI client, kept
 * here so the CLI commands need not load the configuration module to know them.
 */

/** Default TCP port of the admin HTTP API (`admin.listen.port`). */
export const DEFAULT_ADMIN_PORT = 8683;

/** Environment variable the API commands (`smsbridge status` …) read the bearer token from. */
export const ADMIN_TOKEN_ENV = 'SMSBRIDGE_TOKEN';
