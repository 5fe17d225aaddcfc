#!/usr/bin/env node
'use strict';
// The CLI is bundled by `npm run build` (run automatically by npm install / npm ci).
const { main } = require('../dist/cli.js');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
