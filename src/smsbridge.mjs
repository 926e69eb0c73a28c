#!/usr/bin/env node
// Launcher of the `smsbridge` executable: loads the TypeScript sources through tsx (a runtime
// dependency), so a clone works after `npm ci` without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
