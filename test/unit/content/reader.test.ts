import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readZip, safePath } from '../../../shared/content/package-reader.ts';
import { ContentError } from '../../../shared/content/diagnostics.ts';
import { zip } from './packages.ts';

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ContentError);
    return (e as ContentError).diagnostics[0]!;
  }
  throw new Error('expected the package to be refused');
}

/** A zip whose entry names were rewritten after zipping (yazl itself refuses such names). */
async function zipWithRawName(name: string): Promise<Buffer> {
  const placeholder = 'X'.repeat(name.length);
  const buf = await zip(
    new Map([
      ['PAv1/manifest.yaml', 'a: 1'],
      [placeholder, 'evil'],
    ]),
  );
  return Buffer.from(buf.toString('latin1').split(placeholder).join(name), 'latin1');
}

describe('safe package reading', () => {
  it.each(['../evil.txt', 'PAv1/../../evil.txt', '/etc/passwd'])(
    'refuses an entry escaping the root: %s',
    async (name) => {
      const d = await rejection(readZip(await zipWithRawName(name)));
      expect(d.rule).toBe('zip.path');
    },
  );

  it('refuses backslashes and NULs in names', () => {
    expect(() => safePath('PAv1\\..\\x')).toThrow(ContentError);
    expect(() => safePath('PAv1/x\0')).toThrow(ContentError);
  });

  it('refuses a zip bomb by its compression ratio, and nothing is written anywhere', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'lcm-scratch-'));
    const bomb = await zip(
      new Map<string, Buffer | string>([
        ['PAv1/manifest.yaml', 'a: 1'],
        ['PAv1/files/zeros.bin', Buffer.alloc(15 * 1024 * 1024)],
      ]),
    );
    expect(bomb.length).toBeLessThan(100 * 1024);
    const d = await rejection(readZip(bomb));
    expect(d.rule).toBe('zip.ratio');
    expect(await readdir(scratch)).toEqual([]);
  });

  it('refuses a package past the total size bound', async () => {
    const big = await zip(
      new Map([
        ['PAv1/a.bin', Buffer.alloc(2048, 1)],
        ['PAv1/b.bin', Buffer.alloc(2048, 2)],
      ]),
      { compress: false },
    );
    const d = await rejection(
      readZip(big, { maxEntries: 10, maxEntryBytes: 1 << 20, maxTotalBytes: 3000, maxRatio: 100 }),
    );
    expect(d.rule).toBe('zip.size');
  });

  it('refuses too many entries', async () => {
    const many = await zip(new Map(Array.from({ length: 12 }, (_, i) => [`PAv1/f${i}.txt`, 'x'] as const)));
    const d = await rejection(
      readZip(many, { maxEntries: 10, maxEntryBytes: 1 << 20, maxTotalBytes: 1 << 20, maxRatio: 100 }),
    );
    expect(d.rule).toBe('zip.entries');
  });

  it('refuses symbolic links', async () => {
    const link = await zip(new Map([['PAv1/manifest.yaml', '/etc/passwd']]), {
      modes: { 'PAv1/manifest.yaml': 0o120777 },
    });
    const d = await rejection(readZip(link));
    expect(d.rule).toBe('zip.link');
  });

  it('refuses duplicate entries', async () => {
    const dup = await zipWithRawName('PAv1/manifest.yaml'.replace('manifest', 'manifesX'));
    const twice = Buffer.from(
      dup.toString('latin1').split('PAv1/manifesX.yaml').join('PAv1/manifest.yaml'),
      'latin1',
    );
    const d = await rejection(readZip(twice));
    expect(d.rule).toBe('zip.duplicate');
  });

  it('refuses what is not a zip', async () => {
    const d = await rejection(readZip(Buffer.from('hello')));
    expect(d.rule).toBe('zip.unreadable');
  });
});
