/**
 * A job's outputs sized for where they go (issue 14, finding 4). A job captures whole device
 * outputs (`show tech-support`, a running configuration): megabytes, where a DynamoDB item holds
 * 400 KB and a PutEvents entry 256 KB. Outputs that fit `OUTPUTS_INLINE_BYTES` stay on the job
 * record and its event as they are. Larger ones are stored whole as one document in the artefacts
 * bucket (`outputs/<job>/run-<n>.json`), and the record and event keep a digest: the document's
 * reference and, in place of each large value (largest first, until the rest fits), a pointer to
 * it with its size and the first characters. Pure: the store is the caller's.
 */

/** The most a job record (and its completed event) carries of the outputs inline. */
export const OUTPUTS_INLINE_BYTES = 32 * 1024;
/** How much of a value moved to the document its reference shows. */
export const OUTPUT_PREVIEW_CHARS = 200;

/** What stands in the digest for a value kept only in the stored document. */
export interface StoredOutput {
  /** The stored document (`s3://…`), or null when nothing could store it (the dry run). */
  ref: string | null;
  /** JSON pointer of the value inside the document. */
  pointer: string;
  /** Its size as JSON, in bytes. */
  bytes: number;
  /** Its first characters (strings only). */
  preview?: string;
}

export const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? 'null');

const escapePointer = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

interface Slot {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
  pointer: string;
  bytes: number;
  value: unknown;
}

/** Every string leaf (as its own slot), and every top-level value, of a copy of `outputs`. */
function slots(root: Record<string, unknown>): { strings: Slot[]; top: Slot[] } {
  const strings: Slot[] = [];
  const walk = (parent: Record<string, unknown> | unknown[], key: string | number, pointer: string) => {
    const v = (parent as Record<string | number, unknown>)[key];
    if (typeof v === 'string') strings.push({ parent, key, pointer, bytes: jsonBytes(v), value: v });
    else if (Array.isArray(v)) v.forEach((_, i) => walk(v, i, `${pointer}/${i}`));
    else if (v && typeof v === 'object')
      for (const k of Object.keys(v)) walk(v as Record<string, unknown>, k, `${pointer}/${escapePointer(k)}`);
  };
  for (const k of Object.keys(root)) walk(root, k, `/${escapePointer(k)}`);
  const top = Object.keys(root).map((k) => ({
    parent: root,
    key: k,
    pointer: `/${escapePointer(k)}`,
    bytes: jsonBytes(root[k]),
    value: root[k],
  }));
  return { strings, top };
}

/**
 * The outputs as a record and its event hold them: `outputs` itself when it fits `limit`;
 * otherwise a copy in which the largest strings (then, if that is not enough, the largest
 * top-level values) are replaced by a `StoredOutput` pointing into the document at `ref`.
 */
export function outputsDigest(
  outputs: Record<string, unknown>,
  ref: string | null,
  limit = OUTPUTS_INLINE_BYTES,
): { outputs: Record<string, unknown>; moved: number } {
  let total = jsonBytes(outputs);
  if (total <= limit) return { outputs, moved: 0 };
  const copy = structuredClone(outputs);
  let moved = 0;
  const stand = (s: Slot): StoredOutput => ({
    ref,
    pointer: s.pointer,
    bytes: s.bytes,
    ...(typeof s.value === 'string' ? { preview: s.value.slice(0, OUTPUT_PREVIEW_CHARS) } : {}),
  });
  const replace = (s: Slot) => {
    const by = stand(s);
    (s.parent as Record<string | number, unknown>)[s.key] = by;
    total += jsonBytes(by) - s.bytes;
    moved++;
  };
  const { strings } = slots(copy);
  for (const s of strings.sort((a, b) => b.bytes - a.bytes)) {
    if (total <= limit) break;
    if (s.bytes > jsonBytes(stand(s))) replace(s);
  }
  if (total > limit) {
    // Many small values: move whole top-level values, largest first.
    const { top } = slots(copy);
    for (const s of top.sort((a, b) => b.bytes - a.bytes)) {
      if (total <= limit) break;
      if (s.bytes > jsonBytes(stand(s))) replace(s);
    }
  }
  // Still too much (thousands of small values): the document alone.
  if (total > limit) return { outputs: {}, moved: moved + Object.keys(copy).length };
  return { outputs: copy, moved };
}

/** Where a run's whole outputs document lives in the artefacts bucket. */
export const outputsKey = (jobId: string, run: number) => `outputs/${jobId}/run-${run}.json`;
