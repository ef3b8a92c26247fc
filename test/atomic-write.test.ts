import { link, lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/platform/atomic-write.js';
import { EmbeddingIndex } from '../src/vectors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* failingHalfway(): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode('new contents, first half');
  throw new Error('disk full');
}

describe('writeFileAtomic', () => {
  it('writes the data to the path', async () => {
    const path = join(dir, 'out.txt');
    await writeFileAtomic(path, 'hello');
    await writeFileAtomic(path, new TextEncoder().encode('hello again'));
    expect(await readFile(path, 'utf8')).toBe('hello again');
    expect(await readdir(dir)).toEqual(['out.txt']);
  });

  it('a failure mid-write leaves the old file intact and no temporary file behind', async () => {
    const path = join(dir, 'index.bin');
    await writeFile(path, 'old contents');
    await expect(writeFileAtomic(path, failingHalfway())).rejects.toThrow('disk full');
    expect(await readFile(path, 'utf8')).toBe('old contents');
    expect(await readdir(dir)).toEqual(['index.bin']);
  });

  it('replaces a symlink at the path instead of writing through it', async () => {
    const victim = join(dir, 'victim.txt');
    const path = join(dir, 'planted');
    await writeFile(victim, 'not yours');
    await symlink(victim, path);
    await writeFileAtomic(path, 'data');
    expect(await readFile(victim, 'utf8')).toBe('not yours');
    expect((await lstat(path)).isFile()).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('data');
  });

  it('the temporary file sits beside the target under a new random name each time', async () => {
    const path = join(dir, 'out.txt');
    const names: string[] = [];
    async function* watched(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('part one');
      names.push(...(await readdir(dir)).filter((name) => name !== 'out.txt'));
      yield new TextEncoder().encode(', part two');
    }
    await writeFileAtomic(path, watched());
    await writeFileAtomic(path, watched());
    expect(names).toHaveLength(2);
    expect(names[0]).not.toBe(names[1]);
    for (const name of names) expect(name).toMatch(/^out\.txt\.[0-9a-f-]{36}\.tmp$/);
    expect(await readFile(path, 'utf8')).toBe('part one, part two');
  });
});

describe('EmbeddingIndex.save', () => {
  it('writes a new file rather than rewriting the old one in place', async () => {
    const path = join(dir, 'index.bin');
    const before = new EmbeddingIndex();
    before.add('old', [1, 0]);
    await before.save(path);
    // A second name for the old file: an in-place rewrite would change what it reads too.
    await link(path, join(dir, 'snapshot.bin'));
    const after = new EmbeddingIndex();
    after.add('new', [0, 1]);
    await after.save(path);
    expect((await EmbeddingIndex.load(join(dir, 'snapshot.bin'))).ids()).toEqual(['old']);
    expect((await EmbeddingIndex.load(path)).ids()).toEqual(['new']);
  });

  it('does not write through a symlink planted at the path', async () => {
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'not yours');
    await symlink(victim, join(dir, 'index.json'));
    const index = new EmbeddingIndex();
    index.add('a', [1, 0]);
    await index.save(join(dir, 'index.json'), { format: 'json' });
    expect(await readFile(victim, 'utf8')).toBe('not yours');
    expect((await EmbeddingIndex.load(join(dir, 'index.json'))).ids()).toEqual(['a']);
  });
});
