/**
 * Reads a PAv1 package safely, from a zip (yauzl) or a directory, into memory:
 * nothing is ever written to disk, so nothing can land outside a scratch folder. Refused: entries
 * escaping the root (`..`, absolute paths, backslashes), links, too many entries, entries or a
 * total past the size bounds, compression ratios of a zip bomb (declared and actual bytes both
 * counted), duplicate entries. Legacy files may sit beside `PAv1/`; the `PAv1/` copy wins.
 */
import { readdir, readFile, lstat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import yauzl from 'yauzl';
import { ContentError } from './diagnostics.ts';

export interface ReadLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  maxRatio: number;
}

export const DEFAULT_LIMITS: ReadLimits = {
  maxEntries: 2000,
  maxEntryBytes: 20 * 1024 * 1024,
  maxTotalBytes: 50 * 1024 * 1024,
  maxRatio: 100,
};

export type PackageFiles = Map<string, Buffer>;

const fail = (file: string, rule: string, message: string): never => {
  throw new ContentError([{ file, pointer: '', rule, message }]);
};

/** Normalised relative path, or a diagnostic when the name could escape the root. */
export function safePath(name: string): string {
  if (name.includes('\\')) fail(name, 'zip.path', 'backslashes are not allowed in entry names');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name))
    fail(name, 'zip.path', 'absolute paths are not allowed');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) fail(name, 'zip.path', 'the entry escapes the package root (..)');
  if (name.includes('\0')) fail(name, 'zip.path', 'NUL in entry name');
  return parts.join('/');
}

export function readZip(buffer: Buffer, limits: ReadLimits = DEFAULT_LIMITS): Promise<PackageFiles> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      buffer,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: false },
      (err, zip) => {
        if (err || !zip)
          return reject(
            new ContentError([
              { file: '(zip)', pointer: '', rule: 'zip.unreadable', message: err?.message ?? 'not a zip' },
            ]),
          );
        const files: PackageFiles = new Map();
        let count = 0;
        let total = 0;
        const abort = (e: unknown) => {
          zip.close();
          reject(
            e instanceof ContentError
              ? e
              : new ContentError([
                  { file: '(zip)', pointer: '', rule: 'zip.unreadable', message: (e as Error).message },
                ]),
          );
        };
        zip.on('error', abort);
        zip.on('end', () => resolve(files));
        zip.on('entry', (entry: yauzl.Entry) => {
          try {
            const rawName = (entry.fileName as unknown as Buffer).toString('utf8');
            if (++count > limits.maxEntries)
              fail('(zip)', 'zip.entries', `more than ${limits.maxEntries} entries`);
            const name = safePath(rawName);
            const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
            if (mode === 0o120000) fail(rawName, 'zip.link', 'symbolic links are not allowed');
            if (rawName.endsWith('/')) return zip.readEntry();
            if (files.has(name)) fail(rawName, 'zip.duplicate', 'the entry appears twice');
            if (entry.uncompressedSize > limits.maxEntryBytes)
              fail(
                rawName,
                'zip.size',
                `entry declares ${entry.uncompressedSize} bytes (limit ${limits.maxEntryBytes})`,
              );
            if (total + entry.uncompressedSize > limits.maxTotalBytes)
              fail(rawName, 'zip.size', `the package exceeds ${limits.maxTotalBytes} bytes uncompressed`);
            const ratio =
              entry.compressedSize > 0
                ? entry.uncompressedSize / entry.compressedSize
                : entry.uncompressedSize > 0
                  ? Infinity
                  : 1;
            if (ratio > limits.maxRatio && entry.uncompressedSize > 64 * 1024)
              fail(
                rawName,
                'zip.ratio',
                `compression ratio ${Math.round(ratio)}:1 exceeds ${limits.maxRatio}:1 (zip bomb)`,
              );
            files.set(name, Buffer.alloc(0)); // reserve the name against duplicates
            zip.openReadStream(entry, (e, stream) => {
              if (e || !stream) return abort(e ?? new Error('unreadable entry'));
              const chunks: Buffer[] = [];
              let seen = 0;
              stream.on('data', (c: Buffer) => {
                seen += c.length;
                // A lying header: stop inflating the moment the bytes pass what was declared or allowed.
                if (seen > entry.uncompressedSize || total + seen > limits.maxTotalBytes) {
                  stream.destroy();
                  abort(
                    new ContentError([
                      {
                        file: rawName,
                        pointer: '',
                        rule: 'zip.size',
                        message: 'the entry inflates past its declared size',
                      },
                    ]),
                  );
                  return;
                }
                chunks.push(c);
              });
              stream.on('error', abort);
              stream.on('end', () => {
                total += seen;
                files.set(name, Buffer.concat(chunks));
                zip.readEntry();
              });
            });
          } catch (e) {
            abort(e);
          }
        });
        zip.readEntry();
      },
    );
  });
}

/** A directory as a package (the author's CLI); links are refused, sizes bounded the same way. */
export async function readDirectory(
  root: string,
  limits: ReadLimits = DEFAULT_LIMITS,
): Promise<PackageFiles> {
  const files: PackageFiles = new Map();
  let total = 0;
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const full = join(dir, name);
      const rel = relative(root, full).split(sep).join('/');
      const st = await lstat(full);
      if (st.isSymbolicLink()) fail(rel, 'zip.link', 'symbolic links are not allowed');
      if (st.isDirectory()) await walk(full);
      else {
        if (files.size >= limits.maxEntries)
          fail('(dir)', 'zip.entries', `more than ${limits.maxEntries} files`);
        total += st.size;
        if (st.size > limits.maxEntryBytes || total > limits.maxTotalBytes)
          fail(rel, 'zip.size', 'the package is too large');
        files.set(rel, await readFile(full));
      }
    }
  }
  await walk(root);
  return files;
}

/** Files of the package's PAv1 tree, paths relative to `PAv1/` (a single wrapping folder is tolerated). */
export function pav1View(files: PackageFiles): { root: string; files: Map<string, Buffer> } {
  let prefix = 'PAv1/';
  if (![...files.keys()].some((k) => k.startsWith(prefix))) {
    const wrapped = [...files.keys()].find((k) => /^[^/]+\/PAv1\//.test(k));
    if (wrapped) prefix = wrapped.slice(0, wrapped.indexOf('PAv1/') + 5);
  }
  const view = new Map<string, Buffer>();
  for (const [k, v] of files) if (k.startsWith(prefix)) view.set(k.slice(prefix.length), v);
  return { root: prefix, files: view };
}
