/**
 * The EventBridge matcher against AWS's documented examples. Each case names the documentation
 * page and the rule it checks:
 *   [patterns]  "Creating Amazon EventBridge event patterns" (event structure, matching values)
 *   [content]   "Content filtering in Amazon EventBridge event patterns" (comparison operators)
 *   [arrays]    "Arrays in Amazon EventBridge event patterns"
 *   [null]      "Matching null values and empty strings"
 */
import { describe, expect, it } from 'vitest';
import { compilePattern, matchesPattern } from '../../../infra/local/event-pattern.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { rejectionOf } from './pattern-rejection.ts';

/** The example event of the EventBridge user guide (EC2 instance state change). */
const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const withDetail = (detail: Record<string, unknown>) => ({ ...ec2, detail });

type Case = [
  rule: string,
  pattern: Record<string, unknown>,
  event: Record<string, unknown>,
  expected: boolean,
];

const cases: Case[] = [
  // [patterns] matching values
  [
    '[patterns: example] source, detail-type and detail.state all match',
    {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    },
    ec2,
    true,
  ],
  [
    '[patterns: every field must match] one field differs → no match',
    { source: ['aws.ec2'], detail: { state: ['running'] } },
    ec2,
    false,
  ],
  [
    '[patterns: array is OR] any listed value matches',
    { detail: { state: ['running', 'terminated'] } },
    ec2,
    true,
  ],
  [
    '[patterns: array is OR] none of the listed values',
    { detail: { state: ['running', 'stopped'] } },
    ec2,
    false,
  ],
  ['[patterns: fields not in the pattern are ignored] only source', { source: ['aws.ec2'] }, ec2, true],
  [
    '[patterns: field absent from the event] never matches a value',
    { detail: { reason: ['x'] } },
    ec2,
    false,
  ],
  ['[patterns: exact match is case-sensitive]', { source: ['AWS.EC2'] }, ec2, false],
  ['[patterns: nested field path]', { detail: { 'instance-id': ['i-1234567890abcdef0'] } }, ec2, true],
  [
    '[patterns: pattern object vs scalar event value] no match',
    { detail: { state: { code: [1] } } },
    ec2,
    false,
  ],
  [
    '[patterns: numbers match numerically] 300 = 300.0',
    { detail: { n: [300] } },
    withDetail({ n: 300.0 }),
    true,
  ],
  [
    '[patterns: types are strict] string "5" does not match number 5',
    { detail: { n: ['5'] } },
    withDetail({ n: 5 }),
    false,
  ],
  ['[patterns: booleans]', { detail: { enabled: [true] } }, withDetail({ enabled: true }), true],
  [
    '[patterns: booleans] false is not true',
    { detail: { enabled: [true] } },
    withDetail({ enabled: false }),
    false,
  ],
  // [content] prefix
  ['[content: prefix] time starts with 2017-12-22', { time: [{ prefix: '2017-12-22' }] }, ec2, true],
  ['[content: prefix] source prefix aws.', { source: [{ prefix: 'aws.' }] }, ec2, true],
  ['[content: prefix] not a prefix', { time: [{ prefix: '2017-10-02' }] }, ec2, false],
  ['[content: prefix] case-sensitive', { detail: { state: [{ prefix: 'TERM' }] } }, ec2, false],
  [
    '[content: prefix equals-ignore-case] EC2 matches ec2…',
    { source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] },
    ec2,
    true,
  ],
  [
    '[content: prefix] does not match numbers',
    { detail: { n: [{ prefix: '1' }] } },
    withDetail({ n: 123 }),
    false,
  ],
  // [content] suffix
  [
    '[content: suffix] FileName ends with .png',
    { detail: { FileName: [{ suffix: '.png' }] } },
    withDetail({ FileName: 'image.png' }),
    true,
  ],
  [
    '[content: suffix] .jpg is not .png',
    { detail: { FileName: [{ suffix: '.png' }] } },
    withDetail({ FileName: 'image.jpg' }),
    false,
  ],
  [
    '[content: suffix equals-ignore-case] .PNG matches .png',
    { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    withDetail({ FileName: 'IMAGE.PNG' }),
    true,
  ],
  [
    '[content: suffix] case-sensitive by default',
    { detail: { FileName: [{ suffix: '.png' }] } },
    withDetail({ FileName: 'IMAGE.PNG' }),
    false,
  ],
  // [content] anything-but
  [
    '[content: anything-but] state is not initializing',
    { detail: { state: [{ 'anything-but': 'initializing' }] } },
    ec2,
    true,
  ],
  [
    '[content: anything-but] excluded value does not match',
    { detail: { state: [{ 'anything-but': 'terminated' }] } },
    ec2,
    false,
  ],
  [
    '[content: anything-but list] not stopped or overloaded',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    ec2,
    true,
  ],
  [
    '[content: anything-but list] value in the list',
    { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } },
    ec2,
    false,
  ],
  [
    '[content: anything-but number] x-limit is not 123',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    withDetail({ 'x-limit': 124 }),
    true,
  ],
  [
    '[content: anything-but number] x-limit equal to 123',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    withDetail({ 'x-limit': 123 }),
    false,
  ],
  [
    '[content: anything-but numbers list]',
    { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    withDetail({ 'x-limit': 200 }),
    false,
  ],
  [
    '[content: anything-but numbers list] other number',
    { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    withDetail({ 'x-limit': 250 }),
    true,
  ],
  [
    '[content: anything-but prefix] state does not start with init',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    ec2,
    true,
  ],
  [
    '[content: anything-but prefix] initializing starts with init',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    withDetail({ state: 'initializing' }),
    false,
  ],
  [
    '[content: anything-but suffix] not a .txt file',
    { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
    withDetail({ FileName: 'a.png' }),
    true,
  ],
  [
    '[content: anything-but suffix] a .txt file',
    { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
    withDetail({ FileName: 'notes.txt' }),
    false,
  ],
  [
    '[content: anything-but wildcard] path outside */lib/*',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    withDetail({ FilePath: '/usr/bin/x' }),
    true,
  ],
  [
    '[content: anything-but wildcard] path inside */lib/*',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    withDetail({ FilePath: '/usr/lib/x' }),
    false,
  ],
  [
    '[content: anything-but wildcard list]',
    { detail: { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] } },
    withDetail({ FilePath: '/usr/bin/x' }),
    false,
  ],
  [
    '[content: anything-but equals-ignore-case] Stopped vs stopped',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'Stopped' } }] } },
    withDetail({ state: 'stopped' }),
    false,
  ],
  [
    '[content: anything-but equals-ignore-case list]',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'Overloaded'] } }] } },
    ec2,
    true,
  ],
  [
    '[content: anything-but] an absent field does not match',
    { detail: { reason: [{ 'anything-but': 'x' }] } },
    ec2,
    false,
  ],
  // [content] numeric
  [
    '[content: numeric] c-count in (0, 5]',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    withDetail({ 'c-count': 5 }),
    true,
  ],
  [
    '[content: numeric] c-count 0 is not > 0',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    withDetail({ 'c-count': 0 }),
    false,
  ],
  [
    '[content: numeric] c-count 6 is over 5',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    withDetail({ 'c-count': 6 }),
    false,
  ],
  [
    '[content: numeric] d-count < 10',
    { detail: { 'd-count': [{ numeric: ['<', 10] }] } },
    withDetail({ 'd-count': 7 }),
    true,
  ],
  [
    '[content: numeric] x-limit = 3.018e2',
    { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
    withDetail({ 'x-limit': 301.8 }),
    true,
  ],
  [
    '[content: numeric] the documented three-field example',
    {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    },
    withDetail({ 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 }),
    true,
  ],
  [
    '[content: numeric] only numbers match (a numeric string does not)',
    { detail: { n: [{ numeric: ['>=', 1] }] } },
    withDetail({ n: '5' }),
    false,
  ],
  [
    '[content: numeric] >= boundary',
    { detail: { n: [{ numeric: ['>=', 10] }] } },
    withDetail({ n: 10 }),
    true,
  ],
  // [content] IP address (cidr)
  [
    '[content: IP address] 10.0.0.0/24 contains 10.0.0.255',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    withDetail({ sourceIPAddress: '10.0.0.255' }),
    true,
  ],
  [
    '[content: IP address] 10.0.1.1 is outside 10.0.0.0/24',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    withDetail({ sourceIPAddress: '10.0.1.1' }),
    false,
  ],
  [
    '[content: IP address] IPv6 2001:0db8:1234:1a00::/64',
    { detail: { sourceIPAddress: [{ cidr: '2001:0db8:1234:1a00::/64' }] } },
    withDetail({ sourceIPAddress: '2001:0db8:1234:1a00:0000:0000:0000:0001' }),
    true,
  ],
  [
    '[content: IP address] IPv6 outside the block',
    { detail: { sourceIPAddress: [{ cidr: '2001:0db8:1234:1a00::/64' }] } },
    withDetail({ sourceIPAddress: '2001:db8:1234:1a01::1' }),
    false,
  ],
  [
    '[content: IP address] an IPv4 value never matches an IPv6 block',
    { detail: { ip: [{ cidr: '::/0' }] } },
    withDetail({ ip: '10.0.0.1' }),
    false,
  ],
  // [content] exists
  ['[content: exists] state exists', { detail: { state: [{ exists: true }] } }, ec2, true],
  ['[content: exists] c-count does not exist', { detail: { 'c-count': [{ exists: false }] } }, ec2, true],
  ['[content: exists false] a present field fails', { detail: { state: [{ exists: false }] } }, ec2, false],
  ['[content: exists true] an absent field fails', { detail: { 'c-count': [{ exists: true }] } }, ec2, false],
  [
    '[content: exists false] holds when the parent object is absent too',
    { detail: { nested: { x: [{ exists: false }] } } },
    ec2,
    true,
  ],
  // [content] equals-ignore-case
  [
    '[content: equals-ignore-case] detail-type in lower case',
    { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
    ec2,
    true,
  ],
  [
    '[content: equals-ignore-case] a different value',
    { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance started' }] },
    ec2,
    false,
  ],
  // [content] wildcard
  [
    '[content: wildcard] EventBusArn with account and bus wildcards',
    { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/my-bus' },
    true,
  ],
  [
    '[content: wildcard] other region',
    { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/b' },
    false,
  ],
  [
    '[content: wildcard] dir/*.png matches dir/a.png',
    { detail: { f: [{ wildcard: 'dir/*.png' }] } },
    withDetail({ f: 'dir/a.png' }),
    true,
  ],
  [
    '[content: wildcard] * spans slashes: dir/sub/a.png',
    { detail: { f: [{ wildcard: 'dir/*.png' }] } },
    withDetail({ f: 'dir/sub/a.png' }),
    true,
  ],
  [
    '[content: wildcard] dir/*.png does not match dir/a.jpg',
    { detail: { f: [{ wildcard: 'dir/*.png' }] } },
    withDetail({ f: 'dir/a.jpg' }),
    false,
  ],
  [
    '[content: wildcard] escaped star is literal',
    { detail: { f: [{ wildcard: 'dir\\*.png' }] } },
    withDetail({ f: 'dir*.png' }),
    true,
  ],
  [
    '[content: wildcard] escaped star does not match other text',
    { detail: { f: [{ wildcard: 'dir\\*.png' }] } },
    withDetail({ f: 'dir/a.png' }),
    false,
  ],
  // [content] $or
  [
    '[content: $or] any branch under detail',
    {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    },
    withDetail({ 'd-count': 3 }),
    true,
  ],
  [
    '[content: $or] no branch matches',
    {
      detail: {
        $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }],
      },
    },
    withDetail({ 'c-count': 9, 'd-count': 11 }),
    false,
  ],
  [
    '[content: $or] at the top level with source',
    { source: ['aws.ec2'], $or: [{ 'detail-type': ['x'] }, { detail: { state: ['terminated'] } }] },
    ec2,
    true,
  ],
  [
    '[content: $or] top level, source must still match',
    { source: ['aws.s3'], $or: [{ 'detail-type': ['x'] }, { detail: { state: ['terminated'] } }] },
    ec2,
    false,
  ],
  [
    '[content: $or] nested $or inside a branch',
    { $or: [{ region: ['eu-west-1'] }, { $or: [{ account: ['111122223333'] }, { region: ['x'] }] }] },
    ec2,
    true,
  ],
  // [arrays]
  [
    '[arrays: resources] the event array holds one of the pattern values',
    {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0',
      ],
    },
    ec2,
    true,
  ],
  [
    '[arrays: resources] no intersection',
    { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] },
    ec2,
    false,
  ],
  [
    '[arrays] an event array of scalars: any element matches',
    { detail: { tags: ['blue'] } },
    withDetail({ tags: ['red', 'blue'] }),
    true,
  ],
  [
    '[arrays] prefix applies to each element',
    { detail: { tags: [{ prefix: 'bl' }] } },
    withDetail({ tags: ['red', 'blue'] }),
    true,
  ],
  [
    '[arrays] array of objects: nested pattern matches any element',
    { detail: { items: { sku: ['B-2'] } } },
    withDetail({ items: [{ sku: 'A-1' }, { sku: 'B-2' }] }),
    true,
  ],
  [
    '[arrays] array of objects: no element matches',
    { detail: { items: { sku: ['C-3'] } } },
    withDetail({ items: [{ sku: 'A-1' }] }),
    false,
  ],
  [
    '[arrays] anything-but against an array: some element differs',
    { detail: { tags: [{ 'anything-but': 'red' }] } },
    withDetail({ tags: ['red', 'blue'] }),
    true,
  ],
  // [null]
  [
    '[null] null matches a JSON null',
    { detail: { responseElements: [null] } },
    withDetail({ responseElements: null }),
    true,
  ],
  ['[null] null does not match an absent field', { detail: { responseElements: [null] } }, ec2, false],
  [
    '[null] empty string matches ""',
    { detail: { eventVersion: [''] } },
    withDetail({ eventVersion: '' }),
    true,
  ],
  [
    '[null] empty string is not null',
    { detail: { eventVersion: [''] } },
    withDetail({ eventVersion: null }),
    false,
  ],
];

describe('EventBridge pattern matching (documented examples)', () => {
  it('has at least 60 documented cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });
  it.each(cases)('%s', (_rule, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
  it('a compiled pattern gives the same answers as matchesPattern, many times', () => {
    for (const [, pattern, event, expected] of cases) {
      const m = compilePattern(pattern);
      for (let i = 0; i < 3; i++) expect(m(event)).toBe(expected);
    }
  });
});

const invalid: [string, unknown, string][] = [
  [
    '[content] unknown operator, as AWS: "Unrecognized match type prefixx"',
    { detail: { state: [{ prefixx: 'a' }] } },
    '/detail/state/0/prefixx',
  ],
  ['a leaf that is not an array', { source: 'aws.ec2' }, '/source'],
  ['an empty array', { source: [] }, '/source'],
  [
    '[content: numeric] an unknown operator',
    { detail: { n: [{ numeric: ['!=', 1] }] } },
    '/detail/n/0/numeric',
  ],
  [
    '[content: numeric] a value that is not a number',
    { detail: { n: [{ numeric: ['>', '1'] }] } },
    '/detail/n/0/numeric',
  ],
  [
    '[content: numeric] a range whose bottom is above its top',
    { detail: { n: [{ numeric: ['>', 5, '<', 1] }] } },
    '/detail/n/0/numeric',
  ],
  ['[content: exists] not a boolean', { detail: { n: [{ exists: 'yes' }] } }, '/detail/n/0/exists'],
  ['[content: prefix] not a string', { source: [{ prefix: 1 }] }, '/source/0/prefix'],
  ['[content: IP address] not a CIDR block', { ip: [{ cidr: '10.0.0.0/33' }] }, '/ip/0/cidr'],
  ['[content: wildcard] consecutive wildcards', { f: [{ wildcard: 'a**b' }] }, '/f/0/wildcard'],
  [
    '[content: anything-but] mixed types in a list',
    { s: [{ 'anything-but': ['a', 1] }] },
    '/s/0/anything-but',
  ],
  [
    '[content: anything-but] an unsupported operator',
    { s: [{ 'anything-but': { numeric: ['>', 1] } }] },
    '/s/0/anything-but',
  ],
  ['[content: $or] fewer than two branches', { $or: [{ source: ['a'] }] }, '/$or'],
  ['two operators in one object', { s: [{ prefix: 'a', suffix: 'b' }] }, '/s/0'],
  ['an empty pattern', {}, ''],
  ['not an object', ['aws.ec2'], ''],
];

describe('invalid patterns are rejected, naming the offending field', () => {
  it.each(invalid)('%s', (_why, pattern, pointer) => {
    const p = rejectionOf(pattern);
    expect(p.status).toBe(422);
    expect(p.errors?.[0]?.pointer).toBe(pointer);
    expect(p.message).toMatch(/^Event pattern is not valid\. Reason: /);
    if (pointer) expect(p.message).toContain(pointer);
  });

  it('compilePattern refuses an invalid pattern too', () => {
    expect(() => compilePattern({ source: 'x' })).toThrow(Problem);
  });
});
