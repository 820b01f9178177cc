// Content on PostgreSQL: every replica serves every package, so the bytes live in the database,
// in 1 MiB rows (content_chunks, stored out of line uncompressed: packages are compressed
// already, and a slice of an uncompressed value is read without the rest). An upload writes its
// chunks as they arrive, each in its own short statement, under a temporary key; at the end one
// transaction adds the blob row and renames the chunks to the hash (or drops them when the blob is
// there already). No long transaction holds a pooled connection while a slow client uploads, and
// a reader never sees a blob before all its chunks. Reads fetch only the chunks a range covers, a
// few per query, each trimmed to the range by the server, and wait their turn in a line of their
// own (read-queue.ts): at most half the pool's connections read content, so many downloads
// starting together neither starve check-ins and admin requests nor run out of connection time.
// The line also keeps a budget of fetched content not yet sent: a read takes its batch's share
// before its query and gives it back once its client has taken the whole batch, so however many
// downloads run, the server holds at most the budget of fetched content (plus what the sockets
// hold, 48 KiB pieces: a chunk comes in rows of that size, so the socket never takes a whole one).
import crypto from 'node:crypto';
import { ContentHashMismatchError, ContentNotFoundError, ContentTooLargeError } from '../errors.js';
import { checkReadAt, isSha256, rangeIn } from '../content-rules.js';
import type { ContentInfo, ContentStore } from '../types.js';
import type { Db } from './db.js';
import { readQueue, type ReadQueue } from './read-queue.js';

/** Bytes per content_chunks row (migration 25). */
export const CONTENT_CHUNK = 1 << 20;
/** Chunks fetched per query: what one reader holds at most (one: +143 MiB RSS under 200 downloads where two gave +252, at the same CPU). */
const READ_BATCH = 1;
/** Fetched content all reads of a store hold at once at most, bytes (the read line's budget). */
const CONTENT_READ_BUDGET = 64 << 20;
// PostgreSQL's base64 has a line break after every 76 characters (57 bytes): 77 characters a line.
const B64_LINE = 77;
const B64_LINE_BYTES = 57;
/** The text of `bytes` bytes as PostgreSQL's base64: what a read takes of the budget (the text while it arrives, then the bytes). */
const b64Size = (bytes: number) => Math.ceil(bytes / B64_LINE_BYTES) * B64_LINE;
/** Bytes per row of a read: a chunk comes in pieces this size, each its own small string (under
 * Node's 1 MiB external-string threshold, and allocated young in V8's heap). */
const PIECE = 48 << 10;
/** Temporary keys: `upload:<start, ms, 15 digits>:<random>`; never a hash (hashes are hex). */
const UPLOAD_KEY = 'upload:';
/** An upload that started this long ago died with its process: its chunks are removed. */
const STALE_UPLOAD_MS = 24 * 3600_000;
/** Leftover uploads are looked for at most this often per process. */
const SWEEP_EVERY_MS = 3600_000;

// The bytes come as base64 text. node-postgres reads bytea as hex text (twice the bytes, then
// decoded by a parser slower than Node's base64); its binary result mode decodes every field as
// UTF-8 text first, which mangles bytes. Measured on 64 MiB, 2 chunks per query, client CPU:
// hex 4.1–7.8 s/GiB, base64 2.2–3.0 s/GiB (PostgreSQL's line breaks every 76 characters are
// skipped by Buffer.from; removing them in SQL costs PostgreSQL more than it saves here).
// Each chunk's part of the range comes as rows of PIECE bytes (generate_series over its offsets):
// whole-chunk rows were 1.4 MB strings, which Node keeps outside V8's heap and which are freed
// only by a full collection; they piled up to +1 GiB of RSS under 200 downloads (bench/content.ts).
const SLICE_SQL = `SELECT encode(substring(data FROM off + 1 FOR LEAST(hi - off + 1, ${PIECE})), 'base64') AS data FROM (
  SELECT seq, data, CASE WHEN seq = $4 THEN $5::int ELSE 0 END AS lo, CASE WHEN seq = $6 THEN $7::int ELSE ${CONTENT_CHUNK - 1} END AS hi
  FROM content_chunks WHERE sha256 = $1 AND seq BETWEEN $2 AND $3) c, generate_series(lo, hi, ${PIECE}) AS off ORDER BY seq, off`;

/**
 * Content queries running at once per process: half the pool (at least one), so the other half
 * stays for device sessions, enrollments and admin requests whatever the number of downloads.
 * With the pool of 10: five queries of one 1 MiB chunk at a time, 5 MiB of chunks in flight.
 */
export const contentReaders = (poolMax: number): number => Math.max(1, Math.floor(poolMax / 2));

export function postgresContent(db: Db, o: { line?: ReadQueue } = {}): ContentStore {
  // A waiter gives up after the database timeout without progress: the queries running would have
  // failed by then (statement_timeout), so the database is stalled, or every holder of the budget
  // has a client that stopped reading.
  const line = o.line ?? readQueue({ slots: contentReaders(db.pool.options.max ?? 10), stallMs: db.timeoutMs, budget: CONTENT_READ_BUDGET });
  // Slabs of decoded batches not in use: at most as many as reads hold the budget at once.
  const slabs: Buffer[] = [];
  let lastSweep = 0;
  const sweep = async () => {
    if (Date.now() - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = Date.now();
    await db.run(`DELETE FROM content_chunks WHERE sha256 LIKE 'upload:%' AND split_part(sha256, ':', 2)::bigint < $1`, [Date.now() - STALE_UPLOAD_MS]);
  };

  const stat = async (sha256: string): Promise<ContentInfo | undefined> => {
    if (!isSha256(sha256)) return undefined;
    const [r] = await db.q('SELECT size, created_at FROM content_blobs WHERE sha256 = $1', [sha256]);
    return r ? { sha256, size: Number(r.size), createdAt: String(r.created_at) } : undefined;
  };

  /** Bytes start..end (inclusive) of a blob, READ_BATCH chunks per query, each query in the line. */
  async function* slices(sha256: string, start: number, end: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const first = Math.floor(start / CONTENT_CHUNK);
    const last = Math.floor(end / CONTENT_CHUNK);
    // Rows a query of chunks from..to returns: one per PIECE of each chunk's part of the range.
    const piecesIn = (from: number, to: number) => {
      let n = 0;
      for (let seq = from; seq <= to; seq++) {
        const lo = seq === first ? start - first * CONTENT_CHUNK : 0;
        const hi = seq === last ? end - last * CONTENT_CHUNK : CONTENT_CHUNK - 1;
        n += Math.floor((hi - lo) / PIECE) + 1;
      }
      return n;
    };
    for (let from = first; from <= last; from += READ_BATCH) {
      const to = Math.min(last, from + READ_BATCH - 1);
      const params = [sha256, from, to, first, start - first * CONTENT_CHUNK, last, end - last * CONTENT_CHUNK];
      const bytes = Math.min(end, (to + 1) * CONTENT_CHUNK - 1) - Math.max(start, from * CONTENT_CHUNK) + 1;
      // The batch's share of the budget is held until the client has taken its last piece (the
      // generator resumes after it), or the download ends early (return/throw reach the finally).
      // Its text is decoded as soon as it arrives into a slab kept for reuse, so the text dies young
      // (V8 frees it in its cheap young-generation sweep) and the bytes waiting for a slow client
      // are no garbage: kept until sent, text or buffers move to V8's old generation and pile up
      // there until a full collection (bench/content.ts, 200 downloads: +1087 MiB RSS with whole
      // chunks as text, +467 MiB with 48 KiB buffers kept, +252 MiB with slabs). Each piece is
      // copied out of the slab, the socket may still hold it when the slab is reused.
      // At least the slab the batch pins, however small its range: the budget bounds slabs too.
      const batch = await line.take(
        Math.max(b64Size(bytes), READ_BATCH * CONTENT_CHUNK),
        async () => {
          const rows = await db.q(SLICE_SQL, params);
          const slab = slabs.pop() ?? Buffer.allocUnsafeSlow(READ_BATCH * CONTENT_CHUNK);
          const ends: number[] = [];
          let off = 0;
          for (const r of rows) ends.push((off += slab.write(r.data as string, off, 'base64')));
          return { slab, ends };
        },
        signal,
      );
      const { slab, ends } = batch.value;
      try {
        // Deleted while being read (its chunks go with its row, in one transaction).
        if (ends.length !== piecesIn(from, to)) throw new ContentNotFoundError(sha256);
        for (let i = 0, a = 0; i < ends.length; a = ends[i++]) yield Buffer.from(slab.subarray(a, ends[i]));
      } finally {
        // Kept for reuse up to what the budget lets reads hold at once; a burst's extra ones go.
        if (slabs.length < CONTENT_READ_BUDGET / (READ_BATCH * CONTENT_CHUNK)) slabs.push(slab);
        batch.release();
      }
    }
  }

  return {
    async put(body, o) {
      await sweep();
      const key = `${UPLOAD_KEY}${String(Date.now()).padStart(15, '0')}:${crypto.randomBytes(9).toString('hex')}`;
      const hash = crypto.createHash('sha256');
      const buf = Buffer.allocUnsafe(CONTENT_CHUNK);
      let fill = 0;
      let seq = 0;
      let size = 0;
      const flush = async () => {
        await db.run('INSERT INTO content_chunks (sha256, seq, data) VALUES ($1, $2, $3)', [key, seq++, buf.subarray(0, fill)]);
        fill = 0;
      };
      try {
        for await (const chunk of body) {
          size += chunk.length;
          // Refused as soon as the limit is passed: the rest is never read.
          if (size > o.limit) throw new ContentTooLargeError(o.limit);
          hash.update(chunk);
          for (let off = 0; off < chunk.length;) {
            const n = Math.min(CONTENT_CHUNK - fill, chunk.length - off);
            buf.set(chunk.subarray(off, off + n), fill);
            fill += n;
            off += n;
            if (fill === CONTENT_CHUNK) await flush();
          }
        }
        if (fill) await flush();
        const sha256 = hash.digest('hex');
        if (o.expectSha256 !== undefined && o.expectSha256 !== sha256) throw new ContentHashMismatchError(o.expectSha256, sha256);
        const createdAt = new Date().toISOString();
        return await db.tx(async (c) => {
          const added = await c.query('INSERT INTO content_blobs (sha256, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
            sha256,
            size,
            createdAt,
          ]);
          if (added.rowCount) {
            await c.query('UPDATE content_chunks SET sha256 = $1 WHERE sha256 = $2', [sha256, key]);
            return { sha256, size, createdAt };
          }
          // Stored already (same bytes): kept once.
          await c.query('DELETE FROM content_chunks WHERE sha256 = $1', [key]);
          const { rows } = await c.query('SELECT size, created_at FROM content_blobs WHERE sha256 = $1', [sha256]);
          return { sha256, size: Number(rows[0].size), createdAt: String(rows[0].created_at) };
        });
      } catch (err) {
        await db.run('DELETE FROM content_chunks WHERE sha256 = $1', [key]).catch(() => undefined);
        throw err;
      }
    },
    stat,
    read(sha256, range, o) {
      return (async function* () {
        const info = await stat(sha256);
        if (!info) throw new ContentNotFoundError(sha256);
        const { start, end } = rangeIn(info.size, range);
        if (info.size > 0) yield* slices(sha256, start, end, o?.signal);
      })();
    },
    async readAt(sha256, offset, length) {
      checkReadAt(offset, length);
      const info = await stat(sha256);
      if (!info) throw new ContentNotFoundError(sha256);
      const end = Math.min(offset + length, info.size) - 1;
      if (length === 0 || end < offset) return Buffer.alloc(0);
      const parts: Buffer[] = [];
      for await (const b of slices(sha256, offset, end)) parts.push(b);
      return parts.length === 1 ? parts[0] : Buffer.concat(parts);
    },
    async delete(sha256) {
      if (!isSha256(sha256)) return;
      await db.tx(async (c) => {
        await c.query('DELETE FROM content_blobs WHERE sha256 = $1', [sha256]);
        await c.query('DELETE FROM content_chunks WHERE sha256 = $1', [sha256]);
      });
    },
    async deleteUnless(sha256, keep) {
      if (!isSha256(sha256)) return false;
      // Hidden: the blob row removed and the chunks moved under a temporary key (an upload's kind,
      // so a process dying before the end leaves what the stale-upload sweep removes).
      const key = `${UPLOAD_KEY}${String(Date.now()).padStart(15, '0')}:gc${crypto.randomBytes(9).toString('hex')}`;
      const blob = await db.tx(async (c) => {
        const { rows } = await c.query('DELETE FROM content_blobs WHERE sha256 = $1 RETURNING size, created_at', [sha256]);
        if (rows.length) await c.query('UPDATE content_chunks SET sha256 = $1 WHERE sha256 = $2', [key, sha256]);
        return rows[0] as { size: string; created_at: string } | undefined;
      });
      if (!blob) return false;
      let kept = true;
      try {
        kept = await keep();
      } finally {
        if (kept) {
          await db.tx(async (c) => {
            const back = await c.query('INSERT INTO content_blobs (sha256, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
              sha256,
              blob.size,
              blob.created_at,
            ]);
            // Stored anew by a put meanwhile (the same bytes): that copy stays.
            if (back.rowCount) await c.query('UPDATE content_chunks SET sha256 = $1 WHERE sha256 = $2', [sha256, key]);
            else await c.query('DELETE FROM content_chunks WHERE sha256 = $1', [key]);
          });
        } else await db.run('DELETE FROM content_chunks WHERE sha256 = $1', [key]);
      }
      return !kept;
    },
  };
}
