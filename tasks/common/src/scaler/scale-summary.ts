// The run summary of ScaleAgentPool: what each pass changed, and why.
import type { ScaleOutcome } from './scale-pool';

/** Rows beyond this are counted, not listed: a long run makes many. */
export const MAX_SUMMARY_ROWS = 300;

function cell(value: string | number): string {
  return String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function scaleSummary(outcome: ScaleOutcome, mode: string): string {
  const lines = [
    `### Pool \`${outcome.pool}\` (${mode})`,
    '',
    `${outcome.passes} pass(es): ${outcome.provisioned} agent(s) created, ${outcome.removed} removed, target ${outcome.desired}.`,
    '',
  ];
  if (outcome.rows.length === 0) {
    lines.push('Nothing changed: the pool was at its target.', '');
  } else {
    lines.push('| Pass | Time (UTC) | Agent | What changed | Why |', '| --- | --- | --- | --- | --- |');
    for (const r of outcome.rows.slice(0, MAX_SUMMARY_ROWS)) lines.push(`| ${r.pass} | ${r.time} | ${cell(r.agent)} | ${cell(r.action)} | ${cell(r.why)} |`);
    if (outcome.rows.length > MAX_SUMMARY_ROWS) lines.push('', `… and ${outcome.rows.length - MAX_SUMMARY_ROWS} more change(s), in the log.`);
    lines.push('');
  }
  if (outcome.issues.length > 0) lines.push('**Issues**', '', ...outcome.issues.map((i) => `- ${cell(i)}`), '');
  return lines.join('\n');
}
