/**
 * WAL checkpoints on a worker thread's own connection, so the event loop never waits for them.
 *
 * SQLite checkpoints automatically inside the COMMIT that takes the WAL past 1,000 pages: it copies
 * the WAL back into the database file and fsyncs it, synchronously, on the event loop (better-sqlite3
 * is synchronous). Timed under the booking load: 58 of 7,150 commits took over 5 ms, up to 43 ms,
 * 446 ms in all, during which no call in the process moved. Here the writer's automatic threshold is
 * raised to a backstop (BACKSTOP_PAGES) and every `every` commits a PASSIVE checkpoint runs on the
 * worker: it copies what is committed without blocking the writer or the readers. Under a steady
 * load the worker rarely catches up with the last commit, so the WAL can only restart from its
 * beginning when the backstop's own checkpoint (then small: the worker has copied almost all of it)
 * or a quiet moment completes one.
 *
 * Started on the first checkpoint it is asked for: a store with few writes (most tests, a quiet
 * business) never starts a thread.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The writer's own automatic checkpoint, if the worker falls behind or fails: about 40 MB of WAL. */
export const BACKSTOP_PAGES = 10_000;

// CommonJS source for an eval'd worker: it runs the same under tsx and in the compiled build.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
});
`;

export interface CheckpointResult {
  ok: boolean;
  /** Frames in the WAL, and how many of them are now in the database file. */
  log?: number;
  checkpointed?: number;
  error?: string;
}

export class Checkpointer {
  private worker: Worker | undefined;
  private running = false;
  private commits = 0;
  private closed = false;
  /** The last answer, for tests and diagnostics. */
  last: CheckpointResult | undefined;
  count = 0;

  constructor(
    private readonly path: string,
    private readonly every = 200,
  ) {}

  /** After each commit on the writer: asks for a checkpoint every `every` commits, one at a time. */
  committed(): void {
    if (this.closed || ++this.commits < this.every || this.running) return;
    this.commits = 0;
    this.running = true;
    this.start().postMessage('checkpoint');
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const w = new Worker(SOURCE, {
      eval: true,
      workerData: { driver, path: this.path },
      // A connection and a loop: it needs little heap.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    w.on('message', (r: CheckpointResult) => {
      this.running = false;
      this.last = r;
      this.count++;
    });
    // A worker that dies leaves the backstop in charge; the store keeps working.
    w.on('error', (err) => {
      this.last = { ok: false, error: err.message };
      this.running = false;
      this.worker = undefined;
    });
    w.unref();
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    if (!w) return;
    this.worker = undefined;
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    // Unreferenced while idle, so it never keeps a process alive; referenced while it closes, or a
    // process with nothing else to do would exit before the worker's 'exit' and lose the await.
    w.ref();
    w.postMessage('close');
    await exited;
  }
}
