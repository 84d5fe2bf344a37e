// Runs a TypeScript module of this project in a plain Node process (Node 20 cannot strip types):
// vite's module runner, which vitest itself uses, loads it. `node run-ts.mjs FILE.ts JSON` calls
// the module's `main(JSON.parse(JSON), load)`, where `load(path)` loads another TypeScript module.
import { runnerImport } from 'vite';

const load = async (file) => (await runnerImport(file, { configFile: false, logLevel: 'error' })).module;
const [entry, args] = process.argv.slice(2);
await (await load(entry)).main(JSON.parse(args ?? '{}'), load);
