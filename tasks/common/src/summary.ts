// The markdown run summary (a task.uploadsummary attachment): each agent, where it runs, how long
// it took to come online, and what Release did with it.

function cell(value: string | number | undefined): string {
  return value === undefined || value === '' ? '–' : String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: Array<Array<string | number | undefined>>): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export interface RequestSummaryRow {
  name: string;
  where: string;
  resourceId: string;
}

export function requestSummary(pool: string, demand: string, rows: RequestSummaryRow[]): string {
  return [
    `### Ephemeral agents requested for pool \`${pool}\``,
    '',
    table(['Agent', 'Runs on', 'Resource'], rows.map((r) => [r.name, r.where, r.resourceId])),
    '',
    `Jobs reach these agents with the demand \`${demand}\`.`,
    '',
  ].join('\n');
}

export interface WaitSummaryRow {
  name: string;
  where?: string;
  /** Undefined when the agent never came online. */
  onlineAfterMs?: number;
  state?: string;
}

export function waitSummary(pool: string, rows: WaitSummaryRow[]): string {
  return [
    `### Ephemeral agents online in pool \`${pool}\``,
    '',
    table(['Agent', 'Runs on', 'Time to online', 'State'], rows.map((r) => [r.name, r.where, r.onlineAfterMs === undefined ? undefined : formatDuration(r.onlineAfterMs), r.state])),
    '',
  ].join('\n');
}

export interface ReleaseSummaryRow {
  name: string;
  registration: string;
  resource: string;
}

export function releaseSummary(pool: string, rows: ReleaseSummaryRow[]): string {
  return [
    `### Ephemeral agents released from pool \`${pool}\``,
    '',
    rows.length === 0 ? 'Nothing to release: no agent or resource of this run was found.' : table(['Agent', 'Registration', 'Container / task'], rows.map((r) => [r.name, r.registration, r.resource])),
    '',
  ].join('\n');
}
