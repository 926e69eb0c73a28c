#!/usr/bin/env node
/**
 * Composition root of lwm2m-sms-bridge: the `smsbridge` executable starts here (compiled to
 * `dist/main.js`, the `bin` of package.json). It is the only module that touches `process`
 * (argv, stdio, exit code).
 */
import { processIo } from './cli/io.ts';
import { runCli } from './cli/program.ts';

process.exitCode = await runCli(process.argv, processIo());
