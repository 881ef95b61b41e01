/** The upload and virus-scanning settings: defaults, and one-line errors naming the variable. */
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CLAMD_SOCKET, loadConfig } from '../../src/config';

describe('upload and scanning configuration', () => {
  it('defaults: 30 s stall timeout, 10 min until abandoned, scanning auto at the Debian socket (not required)', () => {
    const c = loadConfig({}, '/srv');
    expect(c.uploads).toEqual({ stallTimeoutMs: 30_000, abandonedAfterMs: 600_000 });
    expect(c.virusScan).toEqual({ mode: 'auto', target: { socket: DEFAULT_CLAMD_SOCKET }, explicit: false, timeoutMs: 120_000 });
  });

  it('CLAMD_SOCKET or CLAMD_HOST/PORT make the scanner explicit (and so required in auto)', () => {
    expect(loadConfig({ CLAMD_SOCKET: 'run/clamd.sock' }, '/srv').virusScan).toMatchObject({ target: { socket: '/srv/run/clamd.sock' }, explicit: true });
    expect(loadConfig({ CLAMD_HOST: 'clamav', CLAMD_PORT: '3310', VIRUS_SCAN: 'required' }).virusScan).toMatchObject({ mode: 'required', target: { host: 'clamav', port: 3310 }, explicit: true });
    expect(loadConfig({ UPLOAD_STALL_TIMEOUT_SECONDS: '5', UPLOAD_ABANDONED_AFTER_SECONDS: '120' }).uploads).toEqual({ stallTimeoutMs: 5_000, abandonedAfterMs: 120_000 });
  });

  it.each([
    [{ VIRUS_SCAN: 'sometimes' }, 'VIRUS_SCAN'],
    [{ CLAMD_SOCKET: '/a', CLAMD_HOST: 'b' }, 'CLAMD_HOST'],
    [{ CLAMD_PORT: '3310' }, 'CLAMD_HOST'],
    [{ CLAMD_HOST: 'x', CLAMD_PORT: '99999' }, 'CLAMD_PORT'],
    [{ UPLOAD_STALL_TIMEOUT_SECONDS: '0' }, 'UPLOAD_STALL_TIMEOUT_SECONDS'],
    [{ UPLOAD_ABANDONED_AFTER_SECONDS: 'soon' }, 'UPLOAD_ABANDONED_AFTER_SECONDS'],
    [{ CLAMD_TIMEOUT_SECONDS: '-1' }, 'CLAMD_TIMEOUT_SECONDS'],
  ])('%j → ConfigError naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message.split('\n')).toHaveLength(1);
  });
});
