#!/usr/bin/env node
/**
 * Runs @doyensec/electronegativity over one or more directories in a single scan and writes a
 * JSON report:
 *   node tools/electronegativity/scan.cjs --input src-main --input src-preload \
 *     --electron-version 40.10.2 --out /tmp/x.json
 *
 * The directories are copied side by side into a temporary root and scanned together, so the
 * tool's global checks (navigation limits, permission handler, CSP) see the whole main-process
 * and preload code: scanned one at a time, src-preload alone "has no navigation limits" only
 * because those live in src-main. Reported paths are relative to the repository root
 * (src-main/electron/security.ts).
 *
 * Why a wrapper instead of the CLI:
 * - With `-o` the CLI prints nothing and silently skips files it cannot parse, so a run that
 *   parsed nothing would look clean. Here every file that reached the checks is counted, and
 *   parse errors are reported, so the test can prove the scan really happened.
 * - The tool fetches translations and Electron's release list from the internet at run time
 *   (with retries: ~10 s offline, and results that depend on the network). The scan must be
 *   hermetic: `got` is replaced by a stub that fails at once, so the bundled en-US messages
 *   are used, and AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK (which only works on findings of
 *   ELECTRON_VERSION_JSON_CHECK, i.e. a package.json, absent from src-main and src-preload) is
 *   not run.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

function args(name) {
  const values = process.argv.flatMap((a, i) => (a === `--${name}` ? [process.argv[i + 1]] : []));
  if (!values.length || values.some((v) => !v)) {
    console.error(`scan.cjs: missing --${name}`);
    process.exit(2);
  }
  return values;
}
const arg = (name) => args(name)[0];

const dirs = args('input').map((d) => path.resolve(d));
let input = ''; // the temporary root holding copies of the dirs
const electronVersion = arg('electron-version');
const out = path.resolve(arg('out'));

process.env.LANG = 'en-US';
const toolDir = path.dirname(require.resolve('@doyensec/electronegativity/package.json'));

// No network: stub `got` as the tool resolves it, before anything loads it.
const gotPath = require.resolve('got', { paths: [toolDir] });
const offline = () => Promise.reject(new Error('network disabled for a hermetic scan'));
offline.head = offline;
offline.get = offline;
const stub = new Module(gotPath);
stub.filename = gotPath;
stub.loaded = true;
stub.exports = offline;
stub.exports.default = offline;
require.cache[gotPath] = stub;

// Count the files that were parsed and went through the checks.
const { Finder } = require(path.join(toolDir, 'dist/finder/finder.js'));
const scanned = new Set();
const find = Finder.prototype.find;
Finder.prototype.find = function (file, ...rest) {
  scanned.add(path.relative(input, file));
  return find.call(this, file, ...rest);
};

const runner = require(path.join(toolDir, 'dist/runner.js'));
const run = runner.default ?? runner;

(async () => {
  input = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'electronegativity-'));
  for (const d of dirs) {
    if (!fs.statSync(d).isDirectory()) throw new Error(`not a directory: ${d}`);
    fs.cpSync(d, path.join(input, path.basename(d)), { recursive: true });
  }
  const logs = [];
  const log = console.log;
  console.log = (...a) => logs.push(a.join(' '));
  let res;
  try {
    res = await run(
      {
        input,
        isRelative: true,
        isVerbose: true,
        customScan: [],
        excludeFromScan: ['availablesecurityfixesglobalcheck'],
        electronVersionOverride: electronVersion,
        parserPlugins: [],
      },
      false,
    );
  } finally {
    console.log = log;
    fs.rmSync(input, { recursive: true, force: true });
  }
  const report = {
    tool: require(path.join(toolDir, 'package.json')).version,
    inputs: dirs,
    electronVersion,
    globalChecks: res.globalChecks,
    atomicChecks: res.atomicChecks,
    filesScanned: [...scanned].sort(),
    errors: res.errors.map((e) => ({ file: path.relative(input, e.file), message: e.message, tolerable: e.tolerable })),
    issues: res.issues.map((i) => ({
      id: i.id,
      severity: i.severity.name,
      confidence: i.confidence.name,
      file: i.file,
      line: i.location.line,
      column: i.location.column,
      sample: i.sample ?? null,
      description: i.description,
      manualReview: Boolean(i.manualReview),
    })),
    log: logs,
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2));
})().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
