// Content on the embedded store: one file per blob, `<dir of the database>/content/<aa>/<sha256>`
// (aa: the hash's first two hex digits, so no directory grows huge). An upload is streamed to a
// temporary file in the content directory while it is hashed, synced, then renamed into place:
// a blob is either whole under its name or absent. Several processes (FENESTRA_WORKERS) share the
// directory safely: names are content hashes and renames are atomic.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentHashMismatchError, ContentNotFoundError, ContentTooLargeError } from '../errors.js';
import { checkReadAt, isSha256, rangeIn } from '../content-rules.js';
import type { ContentInfo, ContentStore } from '../types.js';

const TMP_PREFIX = '.upload-';
/** A blob hidden by deleteUnless while it asks whether to keep it: `.gc-<sha256>-<random>`. */
const GC_PREFIX = '.gc-';
/** A temporary file not written to for this long belongs to an upload that died with its process. */
const STALE_UPLOAD_MS = 3600_000;
/** Writes are gathered up to this size (fewer system calls than one per network chunk). */
const WRITE_BATCH = 1 << 20;
/** Read stream buffer size. */
const READ_CHUNK = 256 * 1024;

export interface FileContentStore extends ContentStore {
  /** Removes the temporary directory of an in-memory database's content (nothing otherwise). */
  close(): void;
}

/** The content store beside the SQLite file `dbFile` (an in-memory database gets a temporary directory). */
export function sqliteContentFiles(dbFile: string): FileContentStore {
  const memory = dbFile === ':memory:';
  const root = memory ? fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-content-')) : path.join(path.dirname(path.resolve(dbFile)), 'content');
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  // Owner-only like the rest of the data directory, also when an earlier start left it open (a
  // volume fenestra may not chmod: the data directory's own check has warned about it already).
  if (!memory) {
    try {
      fs.chmodSync(root, 0o700);
    } catch {
      /* not ours to change */
    }
  }
  sweepStaleUploads(root);
  const fileOf = (sha256: string) => path.join(root, sha256.slice(0, 2), sha256);

  const stat = async (sha256: string): Promise<ContentInfo | undefined> => {
    if (!isSha256(sha256)) return undefined;
    try {
      const st = await fs.promises.stat(fileOf(sha256));
      return { sha256, size: st.size, createdAt: st.mtime.toISOString() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const open = async (sha256: string) => {
    if (!isSha256(sha256)) throw new ContentNotFoundError(sha256);
    try {
      return await fs.promises.open(fileOf(sha256), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ContentNotFoundError(sha256);
      throw err;
    }
  };

  return {
    async put(body, o) {
      const tmp = path.join(root, `${TMP_PREFIX}${crypto.randomBytes(12).toString('hex')}`);
      const fh = await fs.promises.open(tmp, 'wx', 0o600);
      const hash = crypto.createHash('sha256');
      let size = 0;
      let closed = false;
      try {
        let batch: Uint8Array[] = [];
        let batched = 0;
        const write = async () => {
          const buf = batch.length === 1 ? batch[0] : Buffer.concat(batch, batched);
          batch = [];
          batched = 0;
          await fh.write(buf, 0, buf.length);
        };
        for await (const chunk of body) {
          size += chunk.length;
          // Refused as soon as the limit is passed: the rest is never read.
          if (size > o.limit) throw new ContentTooLargeError(o.limit);
          hash.update(chunk);
          batch.push(chunk);
          batched += chunk.length;
          if (batched >= WRITE_BATCH) await write();
        }
        if (batched) await write();
        const sha256 = hash.digest('hex');
        if (o.expectSha256 !== undefined && o.expectSha256 !== sha256) throw new ContentHashMismatchError(o.expectSha256, sha256);
        await fh.sync();
        await fh.close();
        closed = true;
        const target = fileOf(sha256);
        const existing = await stat(sha256);
        if (existing) {
          // Stored already (same bytes, same name): kept once.
          await fs.promises.unlink(tmp);
          return existing;
        }
        await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
        await fs.promises.rename(tmp, target);
        await syncDir(path.dirname(target));
        return (await stat(sha256)) ?? { sha256, size, createdAt: new Date().toISOString() };
      } catch (err) {
        if (!closed) await fh.close().catch(() => undefined);
        await fs.promises.unlink(tmp).catch(() => undefined);
        throw err;
      }
    },
    stat,
    read(sha256, range) {
      return (async function* () {
        const fh = await open(sha256);
        let handedOver = false;
        try {
          const { size } = await fh.stat();
          const { start, end } = rangeIn(size, range);
          if (size === 0) return;
          // The stream owns the handle from here: it closes it when it ends or is destroyed
          // (the consumer stopped: `for await` calls return(), which destroys the stream).
          const stream = fh.createReadStream({ start, end, highWaterMark: READ_CHUNK });
          handedOver = true;
          for await (const chunk of stream) yield chunk as Buffer;
        } finally {
          if (!handedOver) await fh.close();
        }
      })();
    },
    async readAt(sha256, offset, length) {
      checkReadAt(offset, length);
      const fh = await open(sha256);
      try {
        const buf = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return got === length ? buf : buf.subarray(0, got);
      } finally {
        await fh.close();
      }
    },
    async delete(sha256) {
      if (!isSha256(sha256)) return;
      await fs.promises.unlink(fileOf(sha256)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async deleteUnless(sha256, keep) {
      if (!isSha256(sha256)) return false;
      const hidden = path.join(root, `${GC_PREFIX}${sha256}-${crypto.randomBytes(6).toString('hex')}`);
      try {
        await fs.promises.rename(fileOf(sha256), hidden);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
      let kept = true;
      try {
        kept = await keep();
      } finally {
        // Put back (over a copy a put stored meanwhile: the same bytes), or removed.
        if (kept) await fs.promises.rename(hidden, fileOf(sha256));
        else await fs.promises.unlink(hidden);
      }
      return !kept;
    },
    close() {
      if (memory) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The rename is durable once the directory entry is (power loss right after it). */
async function syncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on a directory: the rename stands, without that guarantee.
  } finally {
    await fh.close();
  }
}

/**
 * Temporary files of uploads whose process died (another live process's upload keeps writing, so
 * is recent); blobs a collection hid when its process died are put back (it may have been keeping them).
 */
function sweepStaleUploads(root: string): void {
  const before = Date.now() - STALE_UPLOAD_MS;
  for (const name of fs.readdirSync(root)) {
    const gc = name.startsWith(GC_PREFIX) ? /^\.gc-([0-9a-f]{64})-/.exec(name) : null;
    if (gc) {
      const f = path.join(root, name);
      try {
        if (fs.statSync(f).ctimeMs >= before) continue; // another process's collection, under way
        const target = path.join(root, gc[1].slice(0, 2), gc[1]);
        if (fs.existsSync(target)) fs.unlinkSync(f);
        else fs.renameSync(f, target);
      } catch {
        // Handled by another process meanwhile.
      }
      continue;
    }
    if (!name.startsWith(TMP_PREFIX)) continue;
    const f = path.join(root, name);
    try {
      if (fs.statSync(f).mtimeMs < before) fs.unlinkSync(f);
    } catch {
      // Gone already (another process swept it): nothing to do.
    }
  }
}
