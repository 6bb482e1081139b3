#!/usr/bin/env node
// `npx sluice <verb>`: the CLI (compiled from cli/main.ts by `npm run build`).
require('../dist/cli/main.js');
