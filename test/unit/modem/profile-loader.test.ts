import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { GatewayError } from '../../../src/shared/errors.ts';
import { defaultProfilesDir, loadProfiles } from '../../../src/modem/profile-loader.ts';
import { GENERIC_PROFILE, selectProfile, type ModemProfile } from '../../../src/modem/profile.ts';

const PROFILES_DIR = defaultProfilesDir();
const FAMILIES = [
  'generic',
  'huawei-serial',
  'quectel-bg96',
  'quectel-ec25',
  'simcom-sim7600',
  'simcom-sim800',
  'telit-le910',
  'ublox-sara-r4',
];

describe('the shipped profiles (hardware/profiles)', () => {
  const profiles = loadProfiles(PROFILES_DIR);
  const byName = (name: string): ModemProfile | undefined => profiles.find((profile) => profile.name === name);

  it('resolves the folder from the package root', () => {
    expect(PROFILES_DIR.endsWith(join('hardware', 'profiles'))).toBe(true);
  });

  it('loads one valid profile per family, generic last', () => {
    expect(profiles.map((profile) => profile.name).sort()).toEqual(FAMILIES);
    expect(profiles.at(-1)?.name).toBe('generic');
  });

  it('returns deeply frozen profiles', () => {
    for (const profile of profiles) {
      expect(Object.isFrozen(profile), profile.name).toBe(true);
      expect(Object.isFrozen(profile.match), profile.name).toBe(true);
      expect(Object.isFrozen(profile.cnmiPreferences), profile.name).toBe(true);
      expect(Object.isFrozen(profile.quirks), profile.name).toBe(true);
      for (const quirk of profile.quirks) expect(Object.isFrozen(quirk), `${profile.name}/${quirk.id}`).toBe(true);
    }
  });

  it('generic.yaml equals GENERIC_PROFILE', () => {
    expect(byName('generic')).toEqual(GENERIC_PROFILE);
  });

  it('every family profile documents at least one quirk with a source', () => {
    for (const profile of profiles.filter((p) => p.name !== 'generic')) {
      expect(profile.quirks.length, profile.name).toBeGreaterThan(0);
    }
  });

  // Identity strings as AT+CGMI / AT+CGMM print them on real modules.
  it.each([
    ['Quectel', 'EC25', 'quectel-ec25'],
    ['Quectel', 'EG25', 'quectel-ec25'],
    ['Quectel', 'BG96', 'quectel-bg96'],
    ['SIMCOM_Ltd', 'SIMCOM_SIM800L', 'simcom-sim800'],
    ['SIMCOM_Ltd', 'SIMCOM_SIM800', 'simcom-sim800'],
    ['SIMCOM_Ltd', 'SIMCOM_SIM900', 'simcom-sim800'],
    ['SIMCOM INCORPORATED', 'SIMCOM_SIM7600E-H', 'simcom-sim7600'],
    ['huawei', 'E3531', 'huawei-serial'],
    ['huawei', 'E1752', 'huawei-serial'],
    ['huawei', 'E173', 'huawei-serial'],
    ['u-blox', 'SARA-R410M-02B', 'ublox-sara-r4'],
    ['u-blox', 'SARA-R510S', 'ublox-sara-r4'],
    ['Telit', 'LE910C1-EU', 'telit-le910'],
    ['Sierra Wireless, Incorporated', 'EM7455', 'generic'],
    ['Quectel', 'EC21', 'generic'],
    ['u-blox', 'LARA-R211', 'generic'],
  ])('selects a profile for %s / %s → %s', (manufacturer, model, expected) => {
    expect(selectProfile(profiles, { manufacturer, model }).name).toBe(expected);
  });

  it('routes Quectel EC25 status reports with +CDS, never +CDSI (asterisk-chan-quectel PR#75)', () => {
    const ec25 = byName('quectel-ec25');
    expect(ec25?.statusReportRoute).toBe('cds');
    expect(ec25?.cnmiPreferences.some((setting) => setting.split(',')[3] === '2')).toBe(false);
  });

  it('keeps Huawei sticks on the stored route and never sends them AT+CMMS (E3531 mt=0, E1752 +CMS ERROR: 500)', () => {
    expect(byName('huawei-serial')).toMatchObject({ directDelivery: false, moreMessagesToSend: false });
    expect(byName('generic')).toMatchObject({ directDelivery: true, moreMessagesToSend: true });
  });

  it('silences Huawei status URCs during init (AT^CURC=0)', () => {
    expect(byName('huawei-serial')?.initCommands).toContain('AT^CURC=0');
  });
});

describe('loadProfiles rejects broken profiles', () => {
  let dir = '';
  const generic = parse(readFileSync(join(PROFILES_DIR, 'generic.yaml'), 'utf8')) as Record<string, unknown>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'profile-loader-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `test-modem.yaml` (a valid profile changed by `edit`) and returns its path. */
  function writeProfile(edit: (profile: Record<string, unknown>) => void, fileName = 'test-modem.yaml'): string {
    const profile: Record<string, unknown> = {
      ...structuredClone(generic),
      name: 'test-modem',
      match: { manufacturer: '^Acme', model: '^X1' },
      quirks: [{ id: 'test-quirk', description: 'A quirk.', source: 'a test' }],
    };
    edit(profile);
    const path = join(dir, fileName);
    writeFileSync(path, stringify(profile));
    return path;
  }

  /** Asserts that loading fails with a GatewayError whose message names the file and `key`. */
  function expectRejected(path: string, key: string, expected: RegExp): void {
    let caught: unknown;
    try {
      loadProfiles(dir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    const error = caught as GatewayError;
    expect(error.code).toBe('GW_ERR_MODEM_PROFILE');
    expect(error.message).toContain(basename(path));
    expect(error.message).toContain(`key "${key}"`);
    expect(error.message).toMatch(expected);
    expect(error.message).toMatch(/; expected /);
    expect(error.details).toMatchObject({ file: path, key });
  }

  it('accepts the unmodified template (sanity check for the cases below)', () => {
    writeProfile(() => {});
    expect(loadProfiles(dir).map((profile) => profile.name)).toEqual(['test-modem']);
  });

  it('rejects a missing key', () => {
    const path = writeProfile((profile) => {
      delete profile['sendTimeoutMs'];
    });
    expectRejected(path, 'sendTimeoutMs', /missing/);
  });

  it('rejects an unknown key', () => {
    const path = writeProfile((profile) => {
      profile['baudRate'] = 115200;
    });
    expectRejected(path, 'baudRate', /unknown key/);
  });

  it('rejects an unknown key inside a quirk', () => {
    const path = writeProfile((profile) => {
      profile['quirks'] = [{ id: 'x', description: 'd', source: 's', url: 'https://example.org' }];
    });
    expectRejected(path, 'quirks[0].url', /unknown key/);
  });

  it('rejects a regex that does not compile', () => {
    const path = writeProfile((profile) => {
      profile['match'] = { manufacturer: '^Acme', model: 'SIM(800' };
    });
    expectRejected(path, 'match.model', /valid regular expression/);
  });

  it('rejects a malformed CNMI setting', () => {
    const path = writeProfile((profile) => {
      profile['cnmiPreferences'] = ['2,1,0,2,0', '2,1,,2'];
    });
    expectRejected(path, 'cnmiPreferences[1]', /AT\+CNMI setting/);
  });

  it('rejects a CNMI setting with a two-digit value or too many values', () => {
    const path = writeProfile((profile) => {
      profile['cnmiPreferences'] = ['2,1,0,2,0,1'];
    });
    expectRejected(path, 'cnmiPreferences[0]', /AT\+CNMI setting/);
  });

  it('rejects a negative timeout', () => {
    const path = writeProfile((profile) => {
      profile['commandTimeoutMs'] = -1;
    });
    expectRejected(path, 'commandTimeoutMs', /positive integer/);
  });

  it('rejects a fractional or quoted timeout', () => {
    const path = writeProfile((profile) => {
      profile['resetSettleMs'] = '10000';
    });
    expectRejected(path, 'resetSettleMs', /positive integer/);
  });

  it('rejects a receive or send flag that is not a boolean, and a missing cnmaTimeoutMs', () => {
    expectRejected(writeProfile((profile) => {
      profile['directDelivery'] = 'yes';
    }), 'directDelivery', /true or false/);
    expectRejected(writeProfile((profile) => {
      delete profile['moreMessagesToSend'];
    }), 'moreMessagesToSend', /every key/);
    expectRejected(writeProfile((profile) => {
      delete profile['cnmaTimeoutMs'];
    }), 'cnmaTimeoutMs', /every key/);
  });

  it('rejects a status report route that contradicts the first CNMI setting', () => {
    const path = writeProfile((profile) => {
      profile['statusReportRoute'] = 'cds';
    });
    expectRejected(path, 'statusReportRoute', /ds>=2/);
  });

  it('rejects a name that differs from the file name', () => {
    const path = writeProfile((profile) => {
      profile['name'] = 'other-modem';
    });
    expectRejected(path, 'name', /file name/);
  });

  it('rejects an unknown storage and a reset command that is not an AT command', () => {
    const storage = writeProfile((profile) => {
      profile['storagePreferences'] = ['ME', 'SR'];
    });
    expectRejected(storage, 'storagePreferences[1]', /"ME", "MT", "SM"/);
    rmSync(storage);
    const reset = writeProfile((profile) => {
      profile['resetCommands'] = ['reboot now'];
    });
    expectRejected(reset, 'resetCommands[0]', /AT command/);
  });

  it('rejects a file that is not YAML, naming the file', () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'name: [unclosed\n');
    expect(() => loadProfiles(dir)).toThrow(/broken\.yaml is not valid YAML .*; expected one valid YAML document/);
  });

  it('rejects a folder that does not exist', () => {
    expect(() => loadProfiles(join(dir, 'missing'))).toThrow(GatewayError);
  });

  it('ignores files that are not *.yaml and orders specific profiles before general ones', () => {
    writeProfile(() => {});
    writeProfile((profile) => {
      profile['name'] = 'a-vendor-only';
      profile['match'] = { manufacturer: '^Acme' };
    }, 'a-vendor-only.yaml');
    writeFileSync(join(dir, 'generic.yaml'), readFileSync(join(PROFILES_DIR, 'generic.yaml')));
    writeFileSync(join(dir, 'README.md'), '# not a profile\n');
    const names = loadProfiles(dir).map((profile) => profile.name);
    expect(names).toEqual(['test-modem', 'a-vendor-only', 'generic']);
    expect(selectProfile(loadProfiles(dir), { manufacturer: 'Acme', model: 'X1' }).name).toBe('test-modem');
  });
});
