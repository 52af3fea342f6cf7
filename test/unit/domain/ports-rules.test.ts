/**
 * Port kinds and port names (shared/domain/ports.ts), rule by rule (issue 18): only the four kinds
 * are kinds (not an object's inherited keys), and a port name `<device>_<kind>` splits at its last
 * underscore into a non-empty device and a known kind; anything else is not a port name.
 */
import { describe, expect, it } from 'vitest';
import { PORT_KINDS, isPortKind, parsePortName } from '../../../shared/domain/ports.ts';

describe('port kinds', () => {
  it('serial, ssh, pat and vnc are kinds; another word, a case variant or an inherited key is not', () => {
    expect(Object.keys(PORT_KINDS).sort()).toEqual(['pat', 'serial', 'ssh', 'vnc']);
    for (const k of ['serial', 'ssh', 'pat', 'vnc']) expect(isPortKind(k), k).toBe(true);
    for (const k of ['telnet', 'SSH', '', 'toString', 'constructor', '__proto__', 'hasOwnProperty'])
      expect(isPortKind(k), k).toBe(false);
  });
});

describe('port names', () => {
  it('a device and a kind, split at the underscore', () => {
    expect(parsePortName('rtr01_serial')).toEqual({ device: 'rtr01', kind: 'serial' });
    expect(parsePortName('sw1_ssh')).toEqual({ device: 'sw1', kind: 'ssh' });
    expect(parsePortName('r_pat')).toEqual({ device: 'r', kind: 'pat' });
  });

  it('a device whose name has underscores splits at the last one', () => {
    expect(parsePortName('core_rtr_01_vnc')).toEqual({ device: 'core_rtr_01', kind: 'vnc' });
  });

  it('no device (nothing before the underscore, or no underscore) is not a port name', () => {
    expect(parsePortName('_serial')).toBeUndefined();
    expect(parsePortName('serial')).toBeUndefined();
    expect(parsePortName('rtr01serial')).toBeUndefined();
  });

  it('an unknown kind, or none after the underscore, is not a port name', () => {
    expect(parsePortName('rtr01_telnet')).toBeUndefined();
    expect(parsePortName('rtr01_')).toBeUndefined();
    expect(parsePortName('rtr01_serial_x')).toBeUndefined();
    expect(parsePortName('rtr01_toString')).toBeUndefined();
  });
});
