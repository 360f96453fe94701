// The background checkpointer's thread (sqlite-checkpointer.ts): its own connection to the store's
// file, and one PASSIVE checkpoint per request. PASSIVE copies what it can without waiting for
// readers or writers, so the coordinator's commits go on meanwhile; only this thread pays the copy
// and the fsync of the database file. Plain JavaScript: a worker thread does not inherit a
// TypeScript loader under every runner (tsx's CLI, ava).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const port = parentPort;
if (!port) throw new Error('sqlite-checkpoint-worker runs as a worker thread');
const db = new Database(workerData.path);
port.on('message', (message) => {
  if (message === 'close') {
    db.close();
    port.close();
    return;
  }
  const [row] = db.pragma('wal_checkpoint(PASSIVE)');
  port.postMessage({ logFrames: row?.log ?? 0, checkpointedFrames: row?.checkpointed ?? 0 });
});
