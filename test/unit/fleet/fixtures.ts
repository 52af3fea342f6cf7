import { iso } from '../../../shared/domain/clock.ts';
import type { PodBooking } from '../../../shared/domain/scaling.ts';
import type { WorkerRecord, WorkerTemplate } from '../../../shared/domain/worker.ts';

export const T0 = Date.parse('2026-12-01T06:00:00Z');
export const MIN = 60_000;

export const templates: WorkerTemplate[] = [
  {
    name: 'cml-m5-2xlarge',
    instance_type: 'm5.2xlarge',
    ami_name_pattern: 'cml-2.8.*-x86_64',
    host_type: 'cml_on_aws',
    cml_version: '2.8',
    license: 'enterprise',
    capacity: { cpu_cores: 8, memory_gb: 32, max_nodes: 20 },
    cost_per_hour_usd: 0.384,
    max_per_region: 3,
  },
  {
    name: 'cml-m5-4xlarge',
    instance_type: 'm5.4xlarge',
    ami_name_pattern: 'cml-2.8.*-x86_64',
    host_type: 'cml_on_aws',
    cml_version: '2.8',
    license: 'enterprise',
    capacity: { cpu_cores: 16, memory_gb: 64, max_nodes: 40 },
    cost_per_hour_usd: 0.768,
    max_per_region: 2,
  },
  {
    name: 'cml-personal-t3',
    instance_type: 't3.2xlarge',
    ami_name_pattern: 'cml-personal-2.8.*',
    host_type: 'cml_on_aws',
    cml_version: '2.8',
    license: 'personal',
    capacity: { cpu_cores: 8, memory_gb: 32, max_nodes: 20 },
    cost_per_hour_usd: 0.333,
    max_per_region: 1,
  },
];

export function worker(id: string, over: Partial<WorkerRecord> = {}, at = T0): WorkerRecord {
  const t = templates.find((x) => x.name === (over.template ?? 'cml-m5-2xlarge'))!;
  const status = over.status ?? 'running';
  return {
    id,
    status,
    desired_status: 'running',
    state_version: 1,
    state_history: [{ from: null, to: status, at: iso(at), by: 'test' }],
    created_at: iso(at),
    updated_at: iso(at),
    template: t.name,
    region: 'eu-west-1',
    host_type: t.host_type,
    license: t.license,
    address: '10.0.0.1',
    capacity: {
      cpu_cores: t.capacity.cpu_cores,
      memory_gb: t.capacity.memory_gb,
      max_nodes: t.capacity.max_nodes,
    },
    allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 },
    ports: { start: 2000, end: 2099 },
    ports_in_use: [],
    pods: [],
    instance_id: `i-${id}`,
    ...over,
  };
}

export function booking(pod: string, provisionAt: number, over: Partial<PodBooking> = {}): PodBooking {
  return {
    pod_id: pod,
    session_id: `ses_${pod}`,
    host_type: 'cml_on_aws',
    license: 'enterprise',
    needs: { cpu_cores: 4, memory_gb: 16, nodes: 4, ports: 4 },
    provision_at: provisionAt,
    release_at: provisionAt + 120 * MIN,
    ...over,
  };
}
