// images/azure-pipelines.yml rebuilds both images weekly with the newest agent and its published
// SHA-256. Its lookup step is run for real under bash against a fake GitHub release.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const repoRoot = path.resolve(__dirname, '../../..');

interface Step {
  bash?: string;
  name?: string;
  task?: string;
  inputs?: Record<string, string>;
}
interface Job {
  job: string;
  pool: { vmImage: string };
  steps: Step[];
}
interface Pipeline {
  trigger: string;
  schedules: { cron: string; always: boolean; branches: { include: string[] } }[];
  stages: { stage: string; variables?: Record<string, string>; jobs: Job[] }[];
}

const pipeline = parse(readFileSync(path.join(repoRoot, 'images/azure-pipelines.yml'), 'utf8')) as Pipeline;
const job = (name: string) => pipeline.stages.flatMap((s) => s.jobs).find((j) => j.job === name)!;
const lookupStep = job('release').steps.find((s) => s.bash)!;

const packageRow = (name: string, version: string, hash: string) =>
  `| x | [${name}-${version}${name.includes('win') ? '.zip' : '.tar.gz'}](https://download.agent.dev.azure.com/agent/${version}/${name}-${version}) | ${hash} |`;

/** Release notes shaped like the agent's releaseNote.md: two tables, the second with other packages. */
function releaseNotes(version: string, hashes: Record<string, string>): string {
  return [
    '## Agent Downloads',
    '|  | Package | SHA-256 |',
    '| -- | ------- | ------- |',
    ...Object.entries(hashes).map(([name, hash]) => packageRow(name, version, hash)),
    '## Alternate Agent Downloads',
    packageRow('pipelines-agent-linux-x64', version, 'f'.repeat(64)),
    packageRow('pipelines-agent-win-x64', version, 'e'.repeat(64)),
  ].join('\n');
}

async function runLookup(release: object): Promise<{ status: number | null; stdout: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'release-lookup-'));
  try {
    await fs.writeFile(path.join(dir, 'release.json'), JSON.stringify(release));
    await fs.writeFile(path.join(dir, 'curl'), `#!/bin/sh\ncat "${dir}/release.json"\n`, { mode: 0o755 });
    const result = spawnSync('bash', ['-c', lookupStep.bash!], {
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env.PATH}`, GITHUB_TOKEN: '$(GITHUB_TOKEN)' },
    });
    return { status: result.status, stdout: result.stdout };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('images/azure-pipelines.yml', () => {
  it('runs weekly, even without new commits, and on nothing else', () => {
    assert.equal(pipeline.trigger, 'none');
    const [schedule] = pipeline.schedules;
    assert.match(schedule.cron, /^\S+ \S+ \* \* [0-6]$/, 'once a week');
    assert.equal(schedule.always, true);
  });

  describe('release lookup', function () {
    before(function () {
      if (spawnSync('jq', ['--version']).error) this.skip(); // jq is on the hosted image; install it locally to run this
    });

    it('reads the newest version and the SHA-256 of the Linux and Windows packages', async () => {
      const linux = 'a1'.repeat(32);
      const windows = 'B2'.repeat(32);
      const body = releaseNotes('4.266.2', {
        'vsts-agent-win-x64': windows,
        'vsts-agent-win-x86': 'c'.repeat(64),
        'vsts-agent-linux-arm64': 'd'.repeat(64),
        'vsts-agent-linux-x64': linux,
      });
      const { status, stdout } = await runLookup({ tag_name: 'v4.266.2', body });
      assert.equal(status, 0, stdout);
      assert.match(stdout, /^##vso\[task\.setvariable variable=version;isOutput=true\]4\.266\.2$/m);
      assert.match(stdout, new RegExp(`^##vso\\[task\\.setvariable variable=linuxSha256;isOutput=true\\]${linux}$`, 'm'));
      assert.match(stdout, new RegExp(`^##vso\\[task\\.setvariable variable=windowsSha256;isOutput=true\\]${windows.toLowerCase()}$`, 'm'));
    });

    it('fails the run when a package hash is missing', async () => {
      const body = releaseNotes('4.266.2', { 'vsts-agent-win-x64': 'b'.repeat(64) });
      const { status, stdout } = await runLookup({ tag_name: 'v4.266.2', body });
      assert.equal(status, 1);
      assert.match(stdout, /##vso\[task\.logissue type=error\]/);
      assert.doesNotMatch(stdout, /setvariable/);
    });
  });

  it('hands the lookup results to the image jobs under the names it sets', () => {
    const images = pipeline.stages.find((s) => s.stage === 'images')!;
    for (const name of ['version', 'linuxSha256', 'windowsSha256']) {
      assert.ok(lookupStep.bash!.includes(`variable=${name};isOutput=true`));
      const reference = `stageDependencies.lookup.release.outputs['${lookupStep.name}.${name}']`;
      assert.ok(Object.values(images.variables!).some((value) => value.includes(reference)), reference);
    }
  });

  for (const [name, vmImage, dockerfile, sha, tag] of [
    ['linux', 'ubuntu-latest', 'images/linux/Dockerfile', 'linuxSha256', 'ubuntu-24.04'],
    ['windows', 'windows-2022', 'images/windows/Dockerfile', 'windowsSha256', 'windows-ltsc2022'],
  ]) {
    it(`builds and pushes the ${name} image on ${vmImage}, tagged with the agent version`, () => {
      const { pool, steps } = job(name);
      assert.equal(pool.vmImage, vmImage);
      const build = steps.find((s) => s.inputs?.command === 'build')!;
      const push = steps.find((s) => s.inputs?.command === 'push')!;
      assert.equal(build.inputs!.Dockerfile, dockerfile);
      assert.match(build.inputs!.arguments, /--build-arg AGENT_VERSION=\$\(agentVersion\)/);
      assert.match(build.inputs!.arguments, new RegExp(`--build-arg AGENT_SHA256=\\$\\(${sha}\\)`));
      assert.ok(build.inputs!.tags.includes(`${tag}-$(agentVersion)`));
      assert.equal(push.inputs!.tags, build.inputs!.tags);
      assert.equal(push.inputs!.repository, build.inputs!.repository);
    });
  }
});
