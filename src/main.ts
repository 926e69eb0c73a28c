#!/usr/bin/env -S node --min-semi-space-size=16
/**
 * Composition root of lwm2m-sms-bridge: the `smsbridge` executable starts here (compiled to
 * `dist/main.js`, the `bin` of package.json). It is the only module that touches `process`
 * (argv, stdio, exit code).
 */
import { processIo } from './cli/io.ts';
import { runCli } from './cli/program.ts';
import { createLogger, installFaultHandlers } from './log/index.ts';

// The last safety net (docs/logging.md): an unhandled rejection or uncaught exception is logged
// and counted, on stderr so that a command's own output on stdout stays clean.
installFaultHandlers(process, createLogger({ level: 'info', pretty: process.stderr.isTTY === true, destination: process.stderr }));
process.exitCode = await runCli(process.argv, processIo());
