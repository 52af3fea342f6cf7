/**
 * Run-time names (shared/domain/names.ts), rule by rule (issue 18): every state machine and
 * execution a stage creates starts with `<stage>-lcm-` (IAM grants and the phase-ended rule match
 * that prefix); an execution name is cut to Step Functions' 80 characters; and only a whole name
 * of the product's form parses back (another stage's or system's execution is not taken for one).
 */
import { describe, expect, it } from 'vitest';
import {
  contentMachineName,
  executionName,
  parseExecutionName,
  standardMachineName,
  stateMachinePrefix,
} from '../../../shared/domain/names.ts';

const SES = 'ses_01jabcdefghjkmnpqrstvwxyz0';

describe('state machine names', () => {
  it('the prefix is the stage, then -lcm-', () => {
    expect(stateMachinePrefix('dev')).toBe('dev-lcm-');
  });

  it('the standard lifecycle: one machine per pod type and phase, behind the stage prefix', () => {
    expect(standardMachineName('dev', 'cml_on_aws', 'instantiate')).toBe(
      'dev-lcm-standard-cml_on_aws-instantiate',
    );
    expect(standardMachineName('prod', 'none', 'grade')).toBe('prod-lcm-standard-none-grade');
  });

  it('a synced pod definition’s machine: its id and the phase, behind the stage prefix', () => {
    expect(contentMachineName('dev', 'pd_0123456789abcdef', 'grade')).toBe(
      'dev-lcm-pd_0123456789abcdef-grade',
    );
    expect(contentMachineName('prod', 'pd_0123456789abcdef', 'grade')).toBe(
      'prod-lcm-pd_0123456789abcdef-grade',
    );
  });
});

describe('execution names', () => {
  it('a cleanup execution is named apart from the phase it cleans up after', () => {
    expect(executionName('dev', SES, 3, 'archive', 1, true)).toBe(`dev-lcm-${SES}-p3-cleanup-archive-a1`);
    expect(executionName('dev', SES, 3, 'archive', 1)).toBe(`dev-lcm-${SES}-p3-archive-a1`);
  });

  it('a name longer than 80 characters is cut to exactly 80, keeping its start', () => {
    const stage = 'a'.repeat(40);
    const full = `${stage}-lcm-${SES}-p12-cleanup-instantiate-a3`;
    expect(full.length).toBeGreaterThan(80);
    expect(executionName(stage, SES, 12, 'instantiate', 3, true)).toBe(full.slice(0, 80));
    // 80 characters exactly are kept whole.
    const phase = 'x'.repeat(80 - `dev-lcm-${SES}-p1--a1`.length);
    expect(executionName('dev', SES, 1, phase, 1)).toHaveLength(80);
    expect(parseExecutionName(executionName('dev', SES, 1, phase, 1))?.attempt).toBe(1);
  });

  it('only a whole name of the product’s form parses: nothing before the stage, nothing after the attempt', () => {
    const n = executionName('dev', SES, 2, 'grade', 1);
    expect(parseExecutionName(n)).toEqual({
      stage: 'dev',
      session_id: SES,
      order: 2,
      phase: 'grade',
      attempt: 1,
    });
    // Another system's name that ends like one of dev's is not dev's.
    expect(parseExecutionName(`Team_${n}`)).toBeUndefined();
    expect(parseExecutionName(`_${n}`)).toBeUndefined();
    expect(parseExecutionName(`${n}x`)).toBeUndefined();
    expect(parseExecutionName(`${n}-retry`)).toBeUndefined();
  });
});
