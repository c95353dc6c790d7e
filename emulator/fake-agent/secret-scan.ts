// What the fake job does instead of a build: it looks for its agent's registration secret wherever
// a malicious job could, without being handed the secret. The server sends SHA-256 hashes of the
// credentials used to register the agent; the job splits everything it can read into tokens
// (whitespace, NUL, quotes, '=', ':', ',') and compares their hashes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const SEPARATORS = /[\s\0"'`=:,]+/;
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_FILES = 5000;
const MAX_DEPTH = 8;

export class SecretMatcher {
  private readonly hashes: Set<string>;

  constructor(hashes: readonly string[]) {
    this.hashes = new Set(hashes.map((h) => h.toLowerCase()));
  }

  found(text: string): boolean {
    if (this.hashes.size === 0) return false;
    for (const token of text.split(SEPARATORS)) {
      if (token.length >= 8 && this.hashes.has(createHash('sha256').update(token).digest('hex'))) return true;
    }
    return false;
  }
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  sid: number;
  comm: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields after it start after the last ')'.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(fields[1]), sid: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcessInfo[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined);
}

/**
 * The processes of this job's container: the descendants of the container's first process and
 * everything in its session, plus our own session (when the runtime did not say which process is
 * the container's first, our session is all we know).
 */
export function containerProcesses(rootPid: number | undefined): ProcessInfo[] {
  const processes = allProcesses();
  const self = processes.find((p) => p.pid === process.pid);
  const members = new Set<number>();
  for (const p of processes) {
    if ((self && p.sid === self.sid) || (rootPid !== undefined && (p.pid === rootPid || p.sid === rootPid))) members.add(p.pid);
  }
  if (rootPid !== undefined) {
    // Descendants, whatever session they moved to (setsid).
    let grew = true;
    while (grew) {
      grew = false;
      for (const p of processes) {
        if (!members.has(p.pid) && members.has(p.ppid)) {
          members.add(p.pid);
          grew = true;
        }
      }
    }
  }
  return processes.filter((p) => members.has(p.pid));
}

function* filesUnder(dir: string, depth = 0): Generator<string> {
  if (depth > MAX_DEPTH) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(full, depth + 1);
    else if (entry.isFile()) yield full; // symlinks are not followed: they lead out of the container
  }
}

export interface ScanPlaces {
  /** The container's first process, if the runtime told us. */
  rootPid?: number;
  directories: string[];
}

/** Where the secret was found: `environment`, `/proc/<pid>/environ (<comm>)`, `file:<path>`. */
export function scanForSecret(matcher: SecretMatcher, places: ScanPlaces): string[] {
  const where: string[] = [];
  const environment = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`).join('\0');
  if (matcher.found(environment)) where.push('environment');

  for (const p of containerProcesses(places.rootPid)) {
    for (const file of ['environ', 'cmdline']) {
      try {
        if (matcher.found(fs.readFileSync(`/proc/${p.pid}/${file}`, 'latin1'))) where.push(`/proc/${p.pid}/${file} (${p.comm})`);
      } catch {
        // Gone, or not ours to read.
      }
    }
  }

  const seen = new Set<string>();
  let count = 0;
  for (const dir of places.directories) {
    for (const file of filesUnder(dir)) {
      const real = path.resolve(file);
      if (seen.has(real) || ++count > MAX_FILES) continue;
      seen.add(real);
      try {
        if (fs.statSync(real).size > MAX_FILE_BYTES) continue;
        if (matcher.found(fs.readFileSync(real, 'latin1'))) where.push(`file:${real}`);
      } catch {
        // Unreadable files are what a job cannot see either.
      }
    }
  }
  return where;
}
