// Agent names: `<namePrefix>-<runId>-<jobKey>-<index>`. The same job (and its retries) always gets
// the same names, so a retried job finds and replaces its own agents instead of adding duplicates.
// Names double as ACI container group names and Batch task ids, so they follow the stricter ACI rule.
import { createHash } from 'node:crypto';
import { InputError } from './errors';

/** ACI container group names: lowercase letters, digits and single '-' inside, 1-63 characters (FACTS #4). */
export const MAX_NAME_LENGTH = 63;
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isValidResourceName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(name) && !name.includes('--');
}

/** 6 lowercase hex characters of sha256(System.JobId): stable across attempts of one job. */
export function jobKey(jobId: string): string {
  return createHash('sha256').update(jobId.toLowerCase()).digest('hex').slice(0, 6);
}

/** Throws an InputError naming `input` unless `prefix` can start a resource name. */
export function validateNamePrefix(prefix: string, input = 'namePrefix'): void {
  if (!NAME_PATTERN.test(prefix) || prefix.includes('--')) {
    throw new InputError(input,
      `Input '${input}' must use only lowercase letters, digits and '-', start and end with a letter or digit and contain no '--' ` +
      `(it names Azure resources); got '${prefix}'`);
  }
}

/** The longest run value of the same kind as `run`: ids (Build.BuildId, Release.DeploymentId) are Int32, so up to 10 digits. */
export function longestRunLike(run: string): string {
  return run.replace(/\d+$/, '9'.repeat(10));
}

/**
 * The names of `count` agents of one job: index 0 .. count-1. Fails with a clear message when the
 * prefix could make a name exceed 63 characters for any run id of up to 10 digits, not only today's,
 * so a pipeline that works today does not break when its ids grow.
 */
export function agentNames(prefix: string, runId: string, jobId: string, count: number): string[] {
  validateNamePrefix(prefix);
  const run = runId.toLowerCase();
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(run)) {
    throw new InputError('Build.BuildId', `The run id must be letters and digits to name agents; got '${runId}'`);
  }
  const stem = `${prefix}-${run}-${jobKey(jobId)}-`;
  const longest = `${prefix}-${longestRunLike(run)}-${jobKey(jobId)}-${Math.max(0, count - 1)}`;
  if (longest.length > MAX_NAME_LENGTH) {
    const room = prefix.length - (longest.length - MAX_NAME_LENGTH);
    throw new InputError('namePrefix',
      `Input 'namePrefix' would make agent names such as '${longest}' (a run id of 10 digits) ${longest.length} characters long, over the limit of ${MAX_NAME_LENGTH} ` +
      `for container group names; use a prefix of at most ${Math.max(1, room)} characters`);
  }
  return Array.from({ length: count }, (_, index) => `${stem}${index}`);
}
