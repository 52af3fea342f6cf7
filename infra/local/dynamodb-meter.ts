/**
 * A metering proxy in front of DynamoDB Local, for the bill per session (docs/performance.md):
 * every data-plane request passes through unchanged except that `ReturnConsumedCapacity` is set
 * to `INDEXES`, and the capacity DynamoDB Local reports (item sizes, GSI writes, transactions ×2,
 * as AWS computes them) is summed per table. A conditional write that fails returns no capacity;
 * AWS still charges it (at least one unit), so those are counted apart. Streams requests pass
 * through untouched (Lambda's stream reads are not billed).
 *
 * Opt-in (`startLocalRuntime({ meter: true })`): one more loopback hop per request.
 */
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import { listenOnLoopback } from './ports.ts';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

export interface DynamoDbMeterCounts {
  /** Write requests (a transaction or a batch is one request). */
  writeRequests: number;
  /** Items written (each item of a transaction or batch), in all and per table. */
  itemWrites: number;
  itemWritesByTable: Record<string, number>;
  /** Write requests that were transactions. */
  transactions: number;
  /** Write units per table (table + its indexes), as DynamoDB Local reports them. */
  writeUnits: Record<string, number>;
  /** Of which spent on global secondary indexes. */
  indexWriteUnits: Record<string, number>;
  readRequests: number;
  readUnits: Record<string, number>;
  /** Conditional writes and transactions refused (no capacity reported; AWS charges ≥ 1 unit each). */
  refusedWrites: number;
  /** Requests per operation. */
  operations: Record<string, number>;
  /**
   * Whole items written (PutItem, a transaction's or a batch's Put), per kind (`<table>/<entity>`):
   * how many, their bytes as DynamoDB sizes them, and the bytes per top-level attribute
   * (`<kind>.<attribute>`, name included). Updates and deletes carry no whole item: not counted.
   */
  itemsByKind: Record<string, number>;
  itemBytesByKind: Record<string, number>;
  attributeBytes: Record<string, number>;
}

export interface DynamoDbMeter {
  endpoint: string;
  counts: DynamoDbMeterCounts;
  close(): Promise<void>;
}

interface Consumed {
  TableName?: string;
  CapacityUnits?: number;
  WriteCapacityUnits?: number;
  ReadCapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

export function emptyMeterCounts(): DynamoDbMeterCounts {
  return {
    writeRequests: 0,
    itemWrites: 0,
    itemWritesByTable: {},
    transactions: 0,
    writeUnits: {},
    indexWriteUnits: {},
    readRequests: 0,
    readUnits: {},
    refusedWrites: 0,
    operations: {},
    itemsByKind: {},
    itemBytesByKind: {},
    attributeBytes: {},
  };
}

/** An attribute value in DynamoDB's wire form (`{ S: … }`; Binary as base64, or bytes when marshalled in-process). */
type Wire = object;

/**
 * The size DynamoDB bills for one attribute value in its wire form
 * (docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * strings and binary their UTF-8 / byte length, numbers ≈ 1 byte per two significant digits + 1,
 * booleans and null 1, lists and maps 3 bytes + 1 per element + their elements (map keys included).
 */
export function valueBytes(v: Wire): number {
  const [type, x] = Object.entries(v)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(x));
    case 'N':
      return numberBytes(String(x));
    case 'B':
      return binaryBytes(x);
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (x as string[]).reduce((n, s) => n + Buffer.byteLength(s), 0);
    case 'NS':
      return (x as string[]).reduce((n, s) => n + numberBytes(s), 0);
    case 'BS':
      return (x as unknown[]).reduce<number>((n, b) => n + binaryBytes(b), 0);
    case 'L':
      return (x as Wire[]).reduce((n, e) => n + 1 + valueBytes(e), 3);
    case 'M':
      return Object.entries(x as Record<string, Wire>).reduce(
        (n, [k, e]) => n + 1 + Buffer.byteLength(k) + valueBytes(e),
        3,
      );
    default:
      return 0;
  }
}

const binaryBytes = (b: unknown) =>
  b instanceof Uint8Array ? b.length : Buffer.from(String(b), 'base64').length;

function numberBytes(n: string): number {
  const digits = n
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** An item's size as DynamoDB bills it: attribute names and values. */
export const itemBytes = (item: Record<string, Wire>) =>
  Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueBytes(v), 0);

/** `<table>/<entity>`: the item's `entity` attribute, else its partition key's prefix. */
function kindOf(table: string, item: Record<string, Wire>): string {
  const s = (v: Wire | undefined) => (v as { S?: string } | undefined)?.S;
  const entity = s(item.entity) ?? String(s(item.pk) ?? '').split('#')[0];
  return `${table}/${entity || 'item'}`;
}

function addItem(counts: DynamoDbMeterCounts, table: string, item: Record<string, Wire> | undefined) {
  if (!item) return;
  const kind = kindOf(table, item);
  counts.itemsByKind[kind] = (counts.itemsByKind[kind] ?? 0) + 1;
  // Each attribute sized once: its bytes, and their sum for the item.
  let total = 0;
  for (const [name, v] of Object.entries(item)) {
    const bytes = Buffer.byteLength(name) + valueBytes(v);
    const k = `${kind}.${name}`;
    counts.attributeBytes[k] = (counts.attributeBytes[k] ?? 0) + bytes;
    total += bytes;
  }
  counts.itemBytesByKind[kind] = (counts.itemBytesByKind[kind] ?? 0) + total;
}

/** The whole items a write request carries, with their tables. */
function itemsOf(op: string, request: Record<string, unknown>): [string, Record<string, Wire>][] {
  type Put = { TableName?: string; Item?: Record<string, Wire> };
  if (op === 'PutItem') {
    const r = request as Put;
    return r.Item ? [[String(r.TableName ?? '?'), r.Item]] : [];
  }
  if (op === 'TransactWriteItems')
    return ((request.TransactItems as { Put?: Put }[]) ?? []).flatMap((i) =>
      i.Put?.Item ? [[String(i.Put.TableName ?? '?'), i.Put.Item] as [string, Record<string, Wire>]] : [],
    );
  if (op === 'BatchWriteItem')
    return Object.entries(
      (request.RequestItems as Record<string, { PutRequest?: { Item?: Record<string, Wire> } }[]>) ?? {},
    ).flatMap(([t, l]) =>
      l.flatMap((w) =>
        w.PutRequest?.Item ? [[t, w.PutRequest.Item] as [string, Record<string, Wire>]] : [],
      ),
    );
  return [];
}

/** The units one response reports, added to `counts` (exported for its unit test). */
export function addConsumed(
  counts: DynamoDbMeterCounts,
  op: string,
  request: Record<string, unknown>,
  response: { ConsumedCapacity?: Consumed | Consumed[] },
): void {
  counts.operations[op] = (counts.operations[op] ?? 0) + 1;
  const write = WRITES.has(op);
  if (write) {
    counts.writeRequests++;
    const tables: string[] =
      op === 'TransactWriteItems'
        ? ((request.TransactItems as Record<string, { TableName?: string }>[]) ?? [])
            .filter((i) => !i.ConditionCheck)
            .map((i) => String(Object.values(i)[0]?.TableName ?? '?'))
        : op === 'BatchWriteItem'
          ? Object.entries((request.RequestItems as Record<string, unknown[]>) ?? {}).flatMap(([t, l]) =>
              l.map(() => t),
            )
          : [String(request.TableName ?? '?')];
    if (op === 'TransactWriteItems') counts.transactions++;
    counts.itemWrites += tables.length;
    for (const t of tables) counts.itemWritesByTable[t] = (counts.itemWritesByTable[t] ?? 0) + 1;
    for (const [t, item] of itemsOf(op, request)) addItem(counts, t, item);
  } else counts.readRequests++;
  const list = response.ConsumedCapacity
    ? Array.isArray(response.ConsumedCapacity)
      ? response.ConsumedCapacity
      : [response.ConsumedCapacity]
    : [];
  for (const c of list) {
    const table = c.TableName ?? '?';
    const units = c.CapacityUnits ?? 0;
    const target = write ? counts.writeUnits : counts.readUnits;
    target[table] = (target[table] ?? 0) + units;
    if (write) {
      const gsi = Object.values(c.GlobalSecondaryIndexes ?? {}).reduce(
        (n, g) => n + (g.CapacityUnits ?? 0),
        0,
      );
      counts.indexWriteUnits[table] = (counts.indexWriteUnits[table] ?? 0) + gsi;
    }
  }
}

export async function startDynamoDbMeter(target: string): Promise<DynamoDbMeter> {
  const counts = emptyMeterCounts();
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((req, res) => {
    const targetHeader = String(req.headers['x-amz-target'] ?? '');
    const op = targetHeader.startsWith('DynamoDB_20120810.') ? targetHeader.split('.')[1]! : '';
    const metered = WRITES.has(op) || READS.has(op);
    void readBody(req).then((raw) => {
      let body = raw;
      let parsed: Record<string, unknown> = {};
      if (metered) {
        try {
          parsed = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
          body = Buffer.from(JSON.stringify({ ...parsed, ReturnConsumedCapacity: 'INDEXES' }));
        } catch {
          /* not JSON: pass it on as it came, DynamoDB Local answers the error */
        }
      }
      const headers = { ...req.headers, 'content-length': String(body.length) };
      const up = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (ur) => {
          void readBody(ur).then((out) => {
            if (metered) {
              try {
                const answer = JSON.parse(out.toString('utf8')) as Record<string, unknown>;
                if ((ur.statusCode ?? 500) < 300) addConsumed(counts, op, parsed, answer);
                else if (
                  WRITES.has(op) &&
                  /ConditionalCheckFailed|TransactionCanceled/.test(String(answer.__type ?? ''))
                ) {
                  counts.refusedWrites++;
                  counts.operations[op] = (counts.operations[op] ?? 0) + 1;
                }
              } catch {
                /* an answer that is not JSON is not metered */
              }
            }
            res.writeHead(ur.statusCode ?? 500, ur.headers).end(out);
          });
        },
      );
      up.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`meter: ${e.message}`);
      });
      up.end(body);
    });
  });
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => r());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
