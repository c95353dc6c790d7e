// Standby schedules: the first entry covering the current time in its own zone wins; Intl's time zone
// database handles daylight-saving changes (Europe/Paris, 2026-03-29 and 2026-10-25).
import assert from 'node:assert/strict';
import type { ScheduleConfig } from '../../../controller/src/config';
import { activeSchedule, covers, localTime, standbyAt } from '../../../controller/src/schedule';

const at = (iso: string) => Date.parse(iso);
const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'];
const allDays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

describe('controller standby schedules', () => {
  const office: ScheduleConfig = { days: allDays, from: '07:00', to: '19:00', timeZone: 'Europe/Paris', minIdle: 2, minAgents: 1 };

  it('reads local time through the zone, with DST', () => {
    // Winter: UTC+1; summer: UTC+2.
    assert.deepEqual(localTime(at('2026-01-15T06:00:00Z'), 'Europe/Paris'), { day: 'Thu', minutes: 7 * 60 });
    assert.deepEqual(localTime(at('2026-07-15T05:00:00Z'), 'Europe/Paris'), { day: 'Wed', minutes: 7 * 60 });
  });

  it('spring forward in Paris (2026-03-29): 07:00 local is 05:00 UTC that day, 06:00 UTC the day before', () => {
    assert.equal(covers(office, at('2026-03-28T05:59:00Z')), false, '06:59 CET on Saturday');
    assert.equal(covers(office, at('2026-03-28T06:00:00Z')), true, '07:00 CET on Saturday');
    assert.equal(covers(office, at('2026-03-29T04:59:00Z')), false, '06:59 CEST on Sunday');
    assert.equal(covers(office, at('2026-03-29T05:00:00Z')), true, '07:00 CEST on Sunday');
    assert.equal(covers(office, at('2026-03-29T16:59:00Z')), true, '18:59 CEST');
    assert.equal(covers(office, at('2026-03-29T17:00:00Z')), false, '19:00 CEST');
  });

  it('a window across the skipped hour (02:00-03:00 does not exist on 2026-03-29)', () => {
    const night: ScheduleConfig = { days: ['Sun'], from: '02:30', to: '03:30', timeZone: 'Europe/Paris', minIdle: 1 };
    assert.equal(covers(night, at('2026-03-29T00:59:00Z')), false, '01:59 CET');
    assert.equal(covers(night, at('2026-03-29T01:00:00Z')), true, '03:00 CEST, right after the jump');
    assert.equal(covers(night, at('2026-03-29T01:30:00Z')), false, '03:30 CEST');
  });

  it('fall back in Paris (2026-10-25): the repeated hour is covered both times; 07:00 local moves to 06:00 UTC', () => {
    const night: ScheduleConfig = { days: ['Sun'], from: '02:00', to: '03:00', timeZone: 'Europe/Paris', minIdle: 1 };
    assert.equal(covers(night, at('2026-10-24T23:59:00Z')), false, '01:59 CEST');
    assert.equal(covers(night, at('2026-10-25T00:30:00Z')), true, '02:30 CEST, first pass');
    assert.equal(covers(night, at('2026-10-25T01:30:00Z')), true, '02:30 CET, second pass');
    assert.equal(covers(night, at('2026-10-25T02:00:00Z')), false, '03:00 CET');
    assert.equal(covers(office, at('2026-10-25T05:59:00Z')), false, '06:59 CET');
    assert.equal(covers(office, at('2026-10-25T06:00:00Z')), true, '07:00 CET');
    assert.equal(covers(office, at('2026-10-24T05:00:00Z')), true, '07:00 CEST the day before');
  });

  it('days are local days; a window past midnight belongs to the day it starts', () => {
    const weekdayOffice = { ...office, days: weekdays };
    assert.equal(covers(weekdayOffice, at('2026-03-28T08:00:00Z')), false, 'Saturday');
    assert.equal(covers(weekdayOffice, at('2026-03-30T05:00:00Z')), true, 'Monday 07:00 CEST');
    const nights: ScheduleConfig = { days: ['Fri'], from: '22:00', to: '06:00', timeZone: 'Europe/Paris', minIdle: 3 };
    assert.equal(covers(nights, at('2026-03-27T21:00:00Z')), true, 'Friday 22:00 CET');
    assert.equal(covers(nights, at('2026-03-28T04:59:00Z')), true, 'Saturday 05:59 CET, still Friday night');
    assert.equal(covers(nights, at('2026-03-28T05:00:00Z')), false, 'Saturday 06:00 CET');
    assert.equal(covers(nights, at('2026-03-28T21:00:00Z')), false, 'Saturday 22:00 CET');
  });

  it('the first covering entry overrides minIdle/minAgents; keys it does not set keep the pool\'s', () => {
    const schedules: ScheduleConfig[] = [
      { days: ['Sat', 'Sun'], from: '00:00', to: '24:00', timeZone: 'UTC', minIdle: 0, minAgents: 0 },
      { days: allDays, from: '00:00', to: '24:00', timeZone: 'America/New_York', minIdle: 5 },
      { days: allDays, from: '00:00', to: '24:00', timeZone: 'UTC', minIdle: 9, minAgents: 9 },
    ];
    const base = { minIdle: 1, minAgents: 2, maxAgents: 10 };
    assert.deepEqual(standbyAt(base, schedules, at('2026-03-28T12:00:00Z')), { minIdle: 0, minAgents: 0, maxAgents: 10, schedule: 0 });
    assert.deepEqual(standbyAt(base, schedules, at('2026-03-30T12:00:00Z')), { minIdle: 5, minAgents: 2, maxAgents: 10, schedule: 1 });
    assert.deepEqual(standbyAt(base, [], at('2026-03-30T12:00:00Z')), base);
    assert.equal(activeSchedule(undefined, Date.now()), undefined);
  });
});
