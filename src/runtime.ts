// Imported first by every entry point: oidc-provider 9 supports Node.js 22 and later only.
const [major = 0] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`The AAC Token Service needs Node.js 22 or later; this is ${process.version}. Run it through npm (npm start), which uses the Node.js 22 the project installs.\n`);
  process.exit(1);
}
export {};
