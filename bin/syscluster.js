#!/usr/bin/env node
// Entry point for `npx syscluster`: the compiled CLI lives in dist/ (npm run build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('syscluster: not built yet: run ./setup.sh (or npm run build)\n');
  process.exit(2);
}
await import(main.href);
