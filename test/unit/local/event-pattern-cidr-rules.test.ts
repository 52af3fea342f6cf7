/**
 * The EventBridge matcher's `cidr` operator at its bounds (issue 18): prefix lengths from both
 * sides for IPv4 and IPv6, octet and group limits, the `::` shorthand, and which addresses a block
 * holds (the first and last inside, the neighbours outside).
 */
import { describe, expect, it } from 'vitest';
import { matchesPattern, validatePattern } from '../../../infra/local/event-pattern.ts';

const valid = (cidr: string) => {
  try {
    validatePattern({ ip: [{ cidr }] });
    return true;
  } catch {
    return false;
  }
};
const inBlock = (cidr: string, ip: unknown) => matchesPattern({ ip: [{ cidr }] }, { ip });

describe('a CIDR block is valid', () => {
  it.each<[string, boolean]>([
    ['10.0.0.0/0', true],
    ['10.0.0.0/32', true],
    ['10.0.0.0/33', false],
    ['255.255.255.255/32', true],
    ['256.0.0.0/8', false],
    ['10.0.0/8', false],
    ['10.0.0.0.0/8', false],
    ['1000.0.0.0/8', false],
    ['10.0.0.0', false],
    ['10.0.0.0/', false],
    ['10.0.0.0/8/8', false],
    ['10.0.0.0/1234', false],
    ['10.0.0.0/x', false],
    ['::/0', true],
    ['::/128', true],
    ['::/129', false],
    ['2001:db8::/32', true],
    ['2001:db8:0:0:0:0:0:1/128', true],
    ['2001:db8:0:0:0:0:1/128', false],
    ['2001:db8:0:0:0:0:0:0:1/128', false],
    ['2001:db8::1::2/128', false],
    ['2001:db8:0:0:0:0:0::/128', true],
    ['1:2:3:4:5:6:7::/128', true],
    ['2001:db8::12345/128', false],
    ['2001:db8::g/64', false],
    ['2001:db8::/64', true],
    ['fe80::/10', true],
    ['::ffff/128', true],
    ['abc/8', false],
  ])('%s: %s', (cidr, ok) => {
    expect(valid(cidr)).toBe(ok);
  });
});

describe('which addresses a block holds', () => {
  it('IPv4 /24: the first and last address inside, the neighbours outside', () => {
    expect(inBlock('10.0.1.0/24', '10.0.1.0')).toBe(true);
    expect(inBlock('10.0.1.0/24', '10.0.1.255')).toBe(true);
    expect(inBlock('10.0.1.0/24', '10.0.0.255')).toBe(false);
    expect(inBlock('10.0.1.0/24', '10.0.2.0')).toBe(false);
  });
  it('IPv4: host bits in the block are ignored; /32 is one address; /0 is all', () => {
    expect(inBlock('10.0.1.77/24', '10.0.1.3')).toBe(true);
    expect(inBlock('10.0.1.7/32', '10.0.1.7')).toBe(true);
    expect(inBlock('10.0.1.7/32', '10.0.1.6')).toBe(false);
    expect(inBlock('10.0.1.7/32', '10.0.1.8')).toBe(false);
    expect(inBlock('1.2.3.4/0', '255.255.255.255')).toBe(true);
    expect(inBlock('1.2.3.4/0', '0.0.0.0')).toBe(true);
  });
  it('IPv4: an odd prefix length splits an octet', () => {
    expect(inBlock('10.0.0.0/9', '10.127.255.255')).toBe(true);
    expect(inBlock('10.0.0.0/9', '10.128.0.0')).toBe(false);
  });
  it('IPv6: the :: shorthand anywhere, groups of up to four hex digits, either case', () => {
    expect(inBlock('2001:db8::/32', '2001:0DB8:ffff::1')).toBe(true);
    expect(inBlock('2001:db8::/32', '2001:db9::')).toBe(false);
    expect(inBlock('2001:db8::/32', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(false);
    expect(inBlock('::1/128', '0:0:0:0:0:0:0:1')).toBe(true);
    expect(inBlock('::1/128', '::2')).toBe(false);
    expect(inBlock('1::/16', '1:0:0:0:0:0:0:0')).toBe(true);
    expect(inBlock('2001:db8:1:2:3:4:5:6/128', '2001:db8:1:2:3:4:5:6')).toBe(true);
    expect(inBlock('2001:db8:1:2:3:4:5:6/128', '2001:db8:1:2:3:4:5:7')).toBe(false);
    expect(inBlock('2001:db8::/32', '2001:db8::1:2:3:4:5')).toBe(true);
  });
  it('an IPv4 address is not in an IPv6 block, nor the reverse; what is not an address is in none', () => {
    expect(inBlock('::/0', '10.0.0.1')).toBe(false);
    expect(inBlock('0.0.0.0/0', '::1')).toBe(false);
    expect(inBlock('0.0.0.0/0', '10.0.0.256')).toBe(false);
    expect(inBlock('0.0.0.0/0', 'host')).toBe(false);
    expect(inBlock('::/0', '1::2::3')).toBe(false);
    expect(inBlock('::/0', '1:2:3:4:5:6:7')).toBe(false);
    expect(inBlock('::/0', '1:2:3:4:5:6:7:8:9')).toBe(false);
    expect(inBlock('::/0', '1:2:3:4:5:6:7:8')).toBe(true);
    expect(inBlock('::/0', '12345::')).toBe(false);
    expect(inBlock('0.0.0.0/0', 167772161)).toBe(false);
  });
});
