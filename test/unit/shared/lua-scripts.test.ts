import { describe, expect, it } from 'vitest';
import { readLuaScripts } from '../../../src/shared/lua-scripts.ts';

// A module URL in src/lwm2m: its lua/ folder holds the registration store's scripts.
const LWM2M_MODULE = new URL('../../../src/lwm2m/redis-registration-store.ts', import.meta.url).href;

describe('readLuaScripts', () => {
  it('reads each script beside the module and takes its number of KEYS from the file name', () => {
    const scripts = readLuaScripts(LWM2M_MODULE, { patchRegistration: 'patchRegistration-2.lua', touchRegistrations: 'touchRegistrations-1.lua' });
    expect(scripts.patchRegistration.numberOfKeys).toBe(2);
    expect(scripts.touchRegistrations.numberOfKeys).toBe(1);
    expect(scripts.patchRegistration.lua).toMatch(/KEYS\[1\]/);
  });

  it('refuses a file not named <command>-<keys>.lua, and a missing file, at once', () => {
    expect(() => readLuaScripts(LWM2M_MODULE, { patch: 'patchRegistration.lua' })).toThrow(/<command>-<keys>\.lua/);
    expect(() => readLuaScripts(LWM2M_MODULE, { gone: 'noSuchScript-1.lua' })).toThrow(/ENOENT/);
  });
});
