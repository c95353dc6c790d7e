// Standby schedules, as Managed DevOps Pools has them: the first entry that covers the current time in
// its own time zone overrides the pool's minIdle/minAgents. Local time comes from Intl (the ICU time
// zone database Node carries), so daylight-saving changes need no rule of ours. Pure.
import type { ScheduleConfig } from './config';

export const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface LocalTime {
  /** 'Mon'...'Sun'. */
  day: string;
  /** Minutes since local midnight. */
  minutes: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for a time zone the runtime does not know. */
export function localFormat(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, format);
  }
  return format;
}

/** The weekday and wall-clock time at `now` (epoch ms) in `timeZone`. */
export function localTime(now: number, timeZone: string): LocalTime {
  const parts = Object.fromEntries(localFormat(timeZone).formatToParts(new Date(now)).map((p) => [p.type, p.value]));
  return { day: parts.weekday, minutes: (Number(parts.hour) % 24) * 60 + Number(parts.minute) };
}

/** 'HH:MM' -> minutes since midnight ('24:00' is 1440). */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

function previousDay(day: string): string {
  return DAYS[(DAYS.indexOf(day as (typeof DAYS)[number]) + 6) % 7];
}

/** True when the entry covers `now`; a window whose `to` is not after `from` runs past midnight. */
export function covers(entry: ScheduleConfig, now: number): boolean {
  const local = localTime(now, entry.timeZone);
  const from = minutesOf(entry.from);
  const to = minutesOf(entry.to);
  if (from < to) return entry.days.includes(local.day) && local.minutes >= from && local.minutes < to;
  return (entry.days.includes(local.day) && local.minutes >= from) || (entry.days.includes(previousDay(local.day)) && local.minutes < to);
}

/** The first entry covering `now`, with its index, or undefined. */
export function activeSchedule(schedules: readonly ScheduleConfig[] | undefined, now: number): { index: number; entry: ScheduleConfig } | undefined {
  const index = (schedules ?? []).findIndex((entry) => covers(entry, now));
  return index < 0 ? undefined : { index, entry: (schedules as ScheduleConfig[])[index] };
}

/** The pool's minIdle/minAgents at `now`: a covering schedule's values, else the pool's own. */
export function standbyAt<T extends { minIdle: number; minAgents: number }>(base: T, schedules: readonly ScheduleConfig[] | undefined, now: number): T & { schedule?: number } {
  const active = activeSchedule(schedules, now);
  if (!active) return { ...base };
  return {
    ...base,
    minIdle: active.entry.minIdle ?? base.minIdle,
    minAgents: active.entry.minAgents ?? base.minAgents,
    schedule: active.index,
  };
}
