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

  it('are at most 63 characters for any run id up to 10 digits, else the error says how long the prefix may be', () => {
    // A 6-digit build id today: a prefix that fits only today's id is refused already.
    assert.throws(() => agentNames('a'.repeat(47), '123456', 'job', 1), /at most 43 characters/);
    const fits = agentNames('a'.repeat(43), '123456', 'job', 1)[0];
    assert.equal(agentNames('a'.repeat(43), '1234567890', 'job', 1)[0].length, 63);
    assert.equal(fits.length, 59);
  });

  it('hold a classic release run value (release-<id>) with room for a 10-digit deployment id', () => {
    const [name] = agentNames('eph', 'release-42', 'job', 1);
    assert.equal(name, `eph-release-42-${jobKey('job')}-0`);
    assert.ok(isValidResourceName(name));
    assert.throws(() => agentNames('a'.repeat(40), 'release-42', 'job', 1), /at most 35 characters/);
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
