// Imported first by every entry point: oidc-provider 9 supports Node.js 22 and later only.
const [major = 0] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`The AAC Token Service needs Node.js 22 or later; this is ${process.version}. Run it through npm (npm start), which uses the Node.js 22 the project installs.\n`);
  process.exit(1);
}

/**
 * The flags Node.js runs the service with: `npm start`, the Dockerfile, the tests and the
 * benchmark all pass them. AsyncLocalStorage on AsyncContextFrame instead of async_hooks,
 * as Node.js 24 does by default: oidc-provider keeps each request in one, and the promise
 * hooks of the older implementation cost about a tenth of the CPU time of a refresh
 * (test/bench/results.md).
 */
export const NODE_FLAGS = ['--experimental-async-context-frame'] as const;
