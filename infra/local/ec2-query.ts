/**
 * Reading EC2 Query API parameters (`Name.1=a&Name.2=b`, `Tag.1.Key`, `TagSpecification.1.…`):
 * the local EC2 endpoint answers from them and the IAM check authorizes from them, so both read
 * one request the same way.
 */

/** `Name.1=a&Name.2=b` → [a, b]. */
export function queryList(p: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let n = 1; p.has(`${name}.${n}`); n++) out.push(p.get(`${name}.${n}`)!);
  return out;
}

/** `<prefix>Tag.1.Key=k&<prefix>Tag.1.Value=v` → { k: v }. */
export function queryTags(p: URLSearchParams, prefix = ''): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let t = 1; p.has(`${prefix}Tag.${t}.Key`); t++)
    tags[p.get(`${prefix}Tag.${t}.Key`)!] = p.get(`${prefix}Tag.${t}.Value`) ?? '';
  return tags;
}

/** RunInstances' `TagSpecification.N`: the tags asked for each resource type. */
export function tagSpecifications(p: URLSearchParams): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (let s = 1; p.has(`TagSpecification.${s}.ResourceType`); s++)
    Object.assign(
      (out[p.get(`TagSpecification.${s}.ResourceType`)!] ??= {}),
      queryTags(p, `TagSpecification.${s}.`),
    );
  return out;
}

/** RunInstances' subnet and security groups, given directly or on its first network interface. */
export function launchNetwork(p: URLSearchParams): { subnet?: string; groups: string[] } {
  const subnet = p.get('NetworkInterface.1.SubnetId') ?? p.get('SubnetId') ?? undefined;
  return {
    ...(subnet ? { subnet } : {}),
    groups: [...queryList(p, 'NetworkInterface.1.SecurityGroupId'), ...queryList(p, 'SecurityGroupId')],
  };
}
