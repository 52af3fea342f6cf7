/**
 * Every answer the e2e suites receive is checked against the OpenAPI document the API serves:
 * the operation (method and path template), a documented status (or `default`), its media type
 * and its JSON Schema. A mismatch fails the request that received it.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
  components: { schemas: Record<string, unknown> };
};
type Response = { description: string; content?: Record<string, { schema?: unknown }> };

const ajv = new Ajv2020.default({ strict: false, allErrors: true });
addFormats.default(ajv);
let doc: Promise<Doc> | undefined;

/** Resolves `#/components/schemas/…` references in place (the document has no others). */
function inline(schema: unknown, d: Doc): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inline(s, d));
  if (!schema || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (ref?.startsWith('#/components/schemas/')) return inline(d.components.schemas[ref.split('/').pop()!], d);
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v, d)]));
}

export async function checkAgainstOpenApi(
  baseUrl: string,
  method: string,
  path: string,
  res: { status: number; contentType: string; body: unknown },
): Promise<void> {
  const pathname = new URL(path, baseUrl).pathname;
  if (pathname.startsWith('/local/')) return;
  doc ??= fetch(`${baseUrl}/v1/openapi.json`).then((r) => r.json() as Promise<Doc>);
  const d = await doc;
  const template = Object.keys(d.paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname),
  );
  const op = template ? d.paths[template]![method.toLowerCase()] : undefined;
  // Routes and methods the API does not have answer 404/405 from the gateway: nothing to check.
  if (!op) {
    if (res.status !== 404 && res.status !== 405)
      throw new Error(`${method} ${pathname} answered ${res.status} but is not in the OpenAPI document`);
    return;
  }
  const spec =
    op.responses[String(res.status)] ?? op.responses[`${String(res.status)[0]}XX`] ?? op.responses.default;
  if (!spec) throw new Error(`${method} ${template} answered ${res.status}, which it does not document`);
  if (!spec.content || res.body === undefined) return;
  const media = res.contentType.split(';')[0]!.trim();
  const content = spec.content[media];
  if (!content)
    throw new Error(
      `${method} ${template} answered ${res.status} as ${media}; documented: ${Object.keys(spec.content).join(', ')}`,
    );
  if (!content.schema) return;
  const validate = ajv.compile(inline(content.schema, d) as object);
  if (!validate(res.body))
    throw new Error(
      `${method} ${template} ${res.status} does not match its OpenAPI schema: ${ajv.errorsText(validate.errors)}`,
    );
}
