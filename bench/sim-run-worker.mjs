// Worker threads on Node 20 do not inherit tsx's loader from the main thread: the worker starts
// here, registers it, then runs the TypeScript worker (bench/sim-run-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./sim-run-worker.ts');
