#!/usr/bin/env node
// Plain JavaScript on purpose: this must run on any Node to say which version Keyward needs.
const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  process.stderr.write(
    `keyward: needs Node.js ${REQUIRED_MAJOR} or newer, this is ${process.versions.node}; run it with npm start or npx keyward, which use the pinned Node ${REQUIRED_MAJOR}\n`,
  );
  process.exit(1);
}
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2));
if (code !== 0) process.exit(code);
