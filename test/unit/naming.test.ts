import assert from 'node:assert/strict';
import { agentNames, isValidResourceName, jobKey } from '../../tasks/common/src/naming';

describe('agent names', () => {
  it('are <prefix>-<runId>-<jobKey>-<index>, stable for one job and different across jobs', () => {
    const names = agentNames('eph', '4711', 'job-a', 3);
    assert.deepEqual(names, [0, 1, 2].map((i) => `eph-4711-${jobKey('job-a')}-${i}`));
    assert.match(jobKey('job-a'), /^[0-9a-f]{6}$/);
    assert.deepEqual(agentNames('eph', '4711', 'job-a', 3), names);
    assert.notEqual(jobKey('job-a'), jobKey('job-b'));
    assert.ok(names.every(isValidResourceName));
  });

  it('are at most 63 characters, else the error says how long the prefix may be', () => {
    const prefix = 'a'.repeat(50);
    assert.throws(() => agentNames(prefix, '123456', 'job', 1), /at most 47 characters/);
    const fits = agentNames('a'.repeat(47), '123456', 'job', 1)[0];
    assert.equal(fits.length, 63);
  });

  it('reject prefixes that are not valid container group names', () => {
    for (const prefix of ['Eph', 'eph-', '-eph', 'e--p', 'e_p']) assert.throws(() => agentNames(prefix, '1', 'job', 1), /namePrefix/);
  });

  it('validates container group names like ACI', () => {
    assert.ok(isValidResourceName('a'));
    assert.ok(!isValidResourceName('a--b'));
    assert.ok(!isValidResourceName('A'));
    assert.ok(!isValidResourceName('a'.repeat(64)));
  });
});
