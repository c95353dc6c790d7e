// Links users follow from the Marketplace page, the task editor and the extension's entry: absolute,
// https, and into the repository only through its one configured URL (package.json repository.url),
// to files that exist.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ENDPOINT_TYPE_CONTRIBUTION, extensionManifest, importScript, root, taskFolders } from './manifests';

interface PackageJson {
  repository?: { type?: string; url?: string };
}

const repository = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson).repository?.url ?? '';

/** GitHub's anchor for a Markdown heading. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\w\s-]/g, '').replace(/\s/g, '-');
}

function anchors(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]));
}

/** Targets of Markdown links (not pictures). */
function linkTargets(markdown: string): string[] {
  return [...markdown.matchAll(/(?<!!)\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** What is wrong with one link, or undefined. */
function linkProblem(url: string): string | undefined {
  if (!/^https:\/\//.test(url)) return `'${url}' is not an absolute https link`;
  const [address, anchor] = url.split('#');
  const repoPath = new RegExp(`^${repository.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:/(?:blob|tree)/main/(.+))?(?:/issues)?/?$`);
  if (/^https:\/\/github\.com\/ephemeral-agents\//i.test(address) || address.startsWith(repository)) {
    const match = repoPath.exec(address);
    if (!match) return `'${url}' points into the repository but not through '${repository}/blob/main/...' (package.json repository.url; node scripts/set-repository-url.mjs moves the links)`;
    if (match[1]) {
      const file = path.join(root, match[1]);
      if (!existsSync(file)) return `'${url}': ${match[1]} does not exist in the repository`;
      if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).includes(anchor)) return `'${url}': no heading '#${anchor}' in ${match[1]}`;
    }
  }
  return undefined;
}

describe('links', () => {
  it('the repository URL is configured once, in package.json repository.url', () => {
    assert.match(repository, /^https:\/\/github\.com\/[^/]+\/[^/]+$/, 'package.json repository.url: https://github.com/<owner>/<name>, no .git');
  });

  it('one command moves every repository link to a new repository URL', async () => {
    const { retarget, linkingFiles } = await importScript<{ retarget(text: string, from: string, to: string): string; linkingFiles(): string[] }>('set-repository-url.mjs');
    const from = 'https://github.com/a/b';
    const text = `[x](${from}/blob/main/x.md) "${from}" ${from}.git#main:images/linux ${from}-other/y ${from}/issues`;
    assert.equal(retarget(text, from, 'https://github.com/c/d'),
      '[x](https://github.com/c/d/blob/main/x.md) "https://github.com/c/d" https://github.com/c/d.git#main:images/linux https://github.com/a/b-other/y https://github.com/c/d/issues');
    const files = linkingFiles();
    for (const file of ['overview.md', 'vss-extension.json', 'tasks/RequestEphemeralAgentV1/task.json', 'docs/scale-agent-pool.md']) assert.ok(files.includes(file), file);
    for (const file of files) {
      const text = readFileSync(path.join(root, file), 'utf8');
      assert.equal(retarget(text, repository, repository), text);
      const foreign = [...text.matchAll(/https:\/\/github\.com\/ephemeral-agents\/[\w.-]+/g)].map((m) => m[0].replace(/\.git$/, '')).filter((u) => u !== repository);
      assert.deepEqual(foreign, [], `${file} links a repository other than package.json's repository.url`);
    }
  });

  it('the link checker refuses relative, http and misplaced repository links', () => {
    assert.match(linkProblem('docs/tasks/WaitForAgent.md') ?? '', /absolute/);
    assert.match(linkProblem('http://example.com') ?? '', /https/);
    assert.match(linkProblem(`${repository}/blob/main/no/such/file.md`) ?? '', /does not exist/);
    assert.match(linkProblem(`${repository}/blob/main/overview.md#no-such-heading`) ?? '', /no heading/);
    assert.equal(linkProblem(`${repository}/blob/main/overview.md#before-the-first-run`), undefined);
  });

  it('overview.md links only absolute https addresses, and into the repository only through its URL', () => {
    const overview = readFileSync(path.join(root, 'overview.md'), 'utf8');
    const targets = linkTargets(overview);
    assert.ok(targets.filter((t) => t.startsWith(repository)).length >= 5, 'the overview links the repository (image, examples, reference, issues)');
    assert.deepEqual(targets.map(linkProblem).filter(Boolean), []);
    for (const command of overview.match(/az acr build[\s\S]*?"(https:[^"]+)"/g) ?? []) assert.ok(command.includes(`${repository}.git#main:images/linux`), command);
  });

  it('the Marketplace entry is a preview that links the repository, the getting-started section and the issue tracker', () => {
    const manifest = extensionManifest() as ReturnType<typeof extensionManifest> & { galleryFlags?: string[]; repository?: { uri?: string } };
    assert.ok(manifest.galleryFlags?.includes('Preview'), 'galleryFlags includes Preview until the LIVE suite has passed against a real organization');
    assert.equal(manifest.repository?.uri, repository);
    assert.equal(manifest.links?.repository?.uri, repository);
    assert.equal(manifest.links?.issues?.uri, `${repository}/issues`);
    assert.match(manifest.links?.getstarted?.uri ?? '', /#before-the-first-run$/);
    assert.deepEqual(Object.values(manifest.links ?? {}).map((l) => linkProblem(l.uri)).filter(Boolean), []);
  });

  it('the registration connection says what Verify proves, and links where it should', () => {
    const endpoint = (extensionManifest().contributions ?? []).find((c) => c.type === ENDPOINT_TYPE_CONTRIBUTION);
    const help = String(endpoint?.properties?.helpMarkDown ?? '');
    assert.match(help, /Verify\*\* only lists/);
    assert.deepEqual(linkTargets(help).map(linkProblem).filter(Boolean), []);
  });

  for (const { folder, task } of taskFolders()) {
    it(`${folder}: helpUrl opens its reference page, and its help texts link absolutely`, () => {
      const helpUrl = (task as typeof task & { helpUrl?: string }).helpUrl;
      assert.equal(helpUrl, `${repository}/blob/main/docs/tasks/${task.name}.md`);
      assert.equal(linkProblem(helpUrl ?? ''), undefined);
      const texts = [task.helpMarkDown ?? '', ...task.inputs.map((i) => i.helpMarkDown ?? '')];
      assert.deepEqual(texts.flatMap(linkTargets).map(linkProblem).filter(Boolean), []);
    });
  }
});
