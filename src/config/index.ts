/**
 * The gateway's configuration file: one schema (types, validation, documentation), the loader,
 * secrets from the environment or files, and redaction for output.
 */
export { CONFIG_SCHEMA, DEFAULT_ADMIN_PORT, type Config, type ConfigFile, type DeepReadonly, type ModemFileConfig } from './config-schema.ts';
export { loadConfigFile, parseConfig, MAX_CONFIG_BYTES, type ParseConfigOptions } from './config-loader.ts';
export { formatKeyPath, type ConfigProblem, type KeyPath, type LocatedProblem } from './config-problems.ts';
export { redactConfig, readSecretFileSync, MAX_SECRET_FILE_BYTES, type ConfigEnv, type ReadSecretFile } from './secrets.ts';
export { formatRedisUrl, parseRedisUrl, redactRedisUrl, isRedisUrlProblem, REDACTED, type RedisUrlParts } from './redis-url.ts';
export { configDefaults, renderDefaultsYaml } from './default-yaml.ts';
export { hostProblem } from './host-name.ts';
